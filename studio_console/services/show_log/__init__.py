"""The show log: every show recorded in a database as it happens, resumed after a crash, reported after."""
