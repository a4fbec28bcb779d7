"""Going live to several through the core: real OBS, three nginx-rtmp, one confirmation, the upload recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from obswebsocket import requests

from studio_console.domain.stream import CheckStatus, RelayState
from studio_console.services.golive.relay_control import RelayControl
from studio_console.services.golive.simulcast import Simulcast
from studio_console.services.golive.upload import UploadStore
from studio_console.settings.model import Settings
from studio_console.settings.secrets import SecretStore
from tests.e2e.test_relay import E2E_WAIT_S, until
from tests.e2e.test_sinks import studio
from tests.helpers.ffprobe import stream_info
from tests.helpers.servers import NginxRtmp, RunningObs, start_nginx_rtmp


@pytest.mark.timeout(280)
def test_going_live_to_three_through_one_confirmation_and_the_rehearsal_figure_is_recorded(
    own_obs: RunningObs, tmp_path: Path
) -> None:
    nginxes: list[NginxRtmp] = [start_nginx_rtmp(tmp_path / f"nginx{i}") for i in range(3)]
    keys = [f"simulcast-key-{i}" for i in range(3)]
    settings = Settings()
    client = own_obs.client()
    try:  # a keyframe every 2 s, so each output starts soon (the relay starts on a keyframe)
        for name, value in (("UseAdvanced", "true"), ("x264Settings", "keyint=30")):
            client.call(
                requests.SetProfileParameter(parameterCategory="SimpleOutput", parameterName=name, parameterValue=value)
            )
    finally:
        client.disconnect()
    store = UploadStore(tmp_path / "data")

    async def main() -> None:
        secrets = SecretStore.open(tmp_path / "config")
        async with studio(own_obs, settings, secrets) as (service, _counting):
            ids = ["custom_rtmp"] + [service.add_destination("custom_rtmp", f"nginx {i}") for i in (1, 2)]
            for destination_id, nginx, key in zip(ids, nginxes, keys, strict=True):
                await service.set_server_url(destination_id, nginx.url)
                service.set_stream_key(destination_id, key)
            # The first is the studio's own rehearsal server; the other two count as real audiences.
            await service.set_options(ids[0], {"reaches_audience": False, "label": "nginx 0"})
            control = RelayControl(service)
            simulcast = Simulcast(control, measured=store.load().measurement, persist=store.save)
            try:
                for destination_id in ids:
                    simulcast.set_turned_on(destination_id, True)
                plan = await simulcast.prepare()  # "Go live to all turned on"
                assert [d.destination_id for d in plan.to_start] == ids, plan.prompt
                for planned in plan.destinations:
                    assert planned.preflight.check("codec") is not None
                    assert planned.preflight.status is not CheckStatus.FAIL, planned.preflight
                real = plan.prompt.split("Real viewers will see this stream on:")[1].split("No real audience:")[0]
                assert f"nginx 1 — {nginxes[1].url}" in real and f"nginx 2 — {nginxes[2].url}" in real
                assert all(key not in plan.prompt for key in keys)
                assert "never measured" in plan.prompt
                result = await simulcast.start(plan.token)
                assert [s.destination_id for s in result.started] == ids and result.refused == ()

                def state(i: int) -> RelayState | None:
                    status = control.statuses.get(ids[i])
                    return status.state if status is not None else None

                await until(lambda: all(state(i) is RelayState.LIVE for i in range(3)))
                assert service.status.active_sink == "local_test_server"  # OBS streams once, to this PC
                for nginx, key in zip(nginxes, keys, strict=True):
                    streams = await asyncio.to_thread(stream_info, f"{nginx.url}/{key}", E2E_WAIT_S)
                    assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
                # A full window with all three live: the relay's sustained total is measured.
                await until(lambda: (best := simulcast.meter.best) is not None and best.destinations == 3)
                for destination_id in ids:
                    await control.stop(destination_id)
                await until(lambda: simulcast.measured is not None)
                measured = simulcast.measured
                assert measured is not None and measured.kbps > 0 and not measured.rehearsal
                assert store.load().measurement == measured  # persisted, with its date
                again = await simulcast.prepare([ids[0]])
                assert again.upload.measured == measured and "never measured" not in again.prompt
            finally:
                simulcast.close()
                control.close()

    try:
        asyncio.run(main())
    finally:
        for nginx in nginxes:
            nginx.stop()
