"""Where settings, data, logs and caches live: platformdirs by default, or all under one --config-dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from studio_console import APP_ID


@dataclass(frozen=True)
class AppPaths:
    """The folders the app writes to; ``custom_root`` is set when they all live under --config-dir."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path
    custom_root: Path | None = None

    @classmethod
    def default(cls) -> AppPaths:
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_ID)),
            data_dir=Path(platformdirs.user_data_dir(APP_ID)),
            log_dir=Path(platformdirs.user_log_dir(APP_ID)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_ID)),
        )

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        root = root.expanduser().resolve()
        return cls(root, root / "data", root / "logs", root / "cache", custom_root=root)

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def demo_obs_home(self) -> Path:
        """XDG_CONFIG_HOME of the OBS instance demo mode starts and manages."""
        return self.data_dir / "demo-obs"

    def ensure(self) -> None:
        for folder in (self.config_dir, self.data_dir, self.log_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
