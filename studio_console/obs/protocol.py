"""obs-websocket 5 protocol constants (op codes, event subscriptions, request status, close codes)."""

from __future__ import annotations

from enum import IntEnum, IntFlag


class Op(IntEnum):
    HELLO = 0
    IDENTIFY = 1
    IDENTIFIED = 2
    REIDENTIFY = 3
    EVENT = 5
    REQUEST = 6
    REQUEST_RESPONSE = 7
    REQUEST_BATCH = 8
    REQUEST_BATCH_RESPONSE = 9


class Subscription(IntFlag):
    GENERAL = 1 << 0
    CONFIG = 1 << 1
    SCENES = 1 << 2
    INPUTS = 1 << 3
    TRANSITIONS = 1 << 4
    FILTERS = 1 << 5
    OUTPUTS = 1 << 6
    SCENE_ITEMS = 1 << 7
    MEDIA_INPUTS = 1 << 8
    VENDORS = 1 << 9
    UI = 1 << 10
    # obs-websocket-py 1.0 identifies with 1023, which leaves out UI (studio mode events).
    ALL = (1 << 11) - 1
    INPUT_VOLUME_METERS = 1 << 16
    INPUT_ACTIVE_STATE_CHANGED = 1 << 17
    INPUT_SHOW_STATE_CHANGED = 1 << 18
    SCENE_ITEM_TRANSFORM_CHANGED = 1 << 19


class BatchExecution(IntEnum):
    SERIAL_REALTIME = 0
    SERIAL_FRAME = 1
    PARALLEL = 2


class RequestStatus(IntEnum):
    """obs-websocket's status code of a request's answer (``requestStatus.code``)."""

    UNKNOWN = 0
    NO_ERROR = 10
    SUCCESS = 100
    MISSING_REQUEST_TYPE = 203
    UNKNOWN_REQUEST_TYPE = 204
    GENERIC_ERROR = 205
    UNSUPPORTED_REQUEST_BATCH_EXECUTION_TYPE = 206
    NOT_READY = 207
    MISSING_REQUEST_FIELD = 300
    MISSING_REQUEST_DATA = 301
    INVALID_REQUEST_FIELD = 400
    INVALID_REQUEST_FIELD_TYPE = 401
    REQUEST_FIELD_OUT_OF_RANGE = 402
    REQUEST_FIELD_EMPTY = 403
    TOO_MANY_REQUEST_FIELDS = 404
    OUTPUT_RUNNING = 500
    OUTPUT_NOT_RUNNING = 501
    OUTPUT_PAUSED = 502
    OUTPUT_NOT_PAUSED = 503
    OUTPUT_DISABLED = 504
    STUDIO_MODE_ACTIVE = 505
    STUDIO_MODE_NOT_ACTIVE = 506
    RESOURCE_NOT_FOUND = 600
    RESOURCE_ALREADY_EXISTS = 601
    INVALID_RESOURCE_TYPE = 602
    NOT_ENOUGH_RESOURCES = 603
    INVALID_RESOURCE_STATE = 604
    INVALID_INPUT_KIND = 605
    RESOURCE_NOT_CONFIGURABLE = 606
    INVALID_FILTER_KIND = 607
    RESOURCE_CREATION_FAILED = 700
    RESOURCE_ACTION_FAILED = 701
    REQUEST_PROCESSING_FAILED = 702
    CANNOT_ACT = 703

    @classmethod
    def of(cls, code: int) -> RequestStatus | None:
        """The status for ``code``, or None for a code newer than this list."""
        try:
            return cls(code)
        except ValueError:
            return None


class CloseCode(IntEnum):
    UNKNOWN_REASON = 4000
    MESSAGE_DECODE_ERROR = 4002
    MISSING_DATA_FIELD = 4003
    INVALID_DATA_FIELD_TYPE = 4004
    INVALID_DATA_FIELD_VALUE = 4005
    UNKNOWN_OP_CODE = 4006
    NOT_IDENTIFIED = 4007
    ALREADY_IDENTIFIED = 4008
    AUTHENTICATION_FAILED = 4009
    UNSUPPORTED_RPC_VERSION = 4010
    SESSION_INVALIDATED = 4011
    UNSUPPORTED_FEATURE = 4012


# Reconnecting after these only repeats the failure; the operator has to act. A kicked session
# (4011 SessionInvalidated: another client or an OBS restart of the server) is retried like a drop.
NO_RETRY_CLOSE_CODES = frozenset({CloseCode.AUTHENTICATION_FAILED, CloseCode.UNSUPPORTED_RPC_VERSION})

RPC_VERSION = 1
