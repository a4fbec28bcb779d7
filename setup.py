"""What pyproject.toml cannot say: the top-level resources/ folder installs as the package studio_console.resources."""

from setuptools import find_namespace_packages, find_packages, setup

# Each data folder is listed too, so setuptools ships it instead of warning about an unlisted package.
# screenshots/ (README pictures) stays out of the wheel.
DATA_FOLDERS = find_namespace_packages(where="resources", exclude=["screenshots*"])
RESOURCE_PACKAGES = ["studio_console.resources", *(f"studio_console.resources.{name}" for name in DATA_FOLDERS)]

setup(
    packages=[*find_packages(include=["studio_console", "studio_console.*"]), *RESOURCE_PACKAGES],
    package_dir={"studio_console.resources": "resources"},
)
