"""``/admin/settings``: the instance's name, description, branding, who may sign up and
create communities, and the feature switches, changed by its admins while it runs.

instance.toml stays the source; what an admin saves here is stored as overrides
(``fedi.domain.overrides``), validated as the file is, and applied to this process at once
(``AppState.reconfigure``). The rest of the configuration is shown read-only, with the
file's path.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fedi.domain import overrides
from fedi.errors import ValidationFailed
from fedi.state import AppState
from fedi.web.access import admin
from fedi.web.forms import checked_form, text
from fedi.web.messages import N_
from fedi.web.rendering import Reader, render

SAVED = N_("The settings are saved and in effect.")
ON, OFF = N_("on"), N_("off")
# What each setting's refusal says (the rule itself is the configuration schema's).
REFUSALS = {
    "instance.name": N_("Enter a name of 1 to 100 characters."),
    "instance.contact_email": N_("E-mail address is not valid"),
    "branding.primary_color": N_("Enter a colour such as #1f6f5c."),
}
LIMITS = {"instance.description": 2000, "instance.name": 200, "branding.tagline": 200}


def _values(config: Any) -> dict[str, Any]:
    return {key: overrides.current(config, key) for key in overrides.EDITABLE}


async def _page(
    request: Request,
    reader: Reader,
    status_code: int = 200,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
) -> Response:
    state: AppState = request.app.state.jamii
    file_config = state.file_config or state.config
    async with state.readers() as session:
        stored = await overrides.load(session)
    return await render(
        request,
        "admin_settings.html",
        status_code,
        reader=reader,
        values=values if values is not None else _values(state.config),
        file_values={
            key: (reader.gettext(ON if value else OFF) if isinstance(value, bool) else str(value))
            for key, value in _values(file_config).items()
        },
        overridden=set(stored),
        choices={k: overrides.choices(k) for k, v in overrides.EDITABLE.items() if v == "choice"},
        file_path=str(file_config.instance_dir / "instance.toml"),
        translator_running=state.translator is not None,
        errors=errors or {},
        notice=reader.gettext(notice) if notice else None,
    )


async def settings_page(request: Request) -> Response:
    return await _page(request, await admin(request))


async def save(request: Request) -> Response:
    form = await checked_form(request)
    reader = await admin(request)
    assert reader.viewer is not None
    state: AppState = request.app.state.jamii
    changes: dict[str, Any] = {}
    for key, kind in overrides.EDITABLE.items():
        if kind == "switch":
            changes[key] = text(form, key) == "on"
        else:
            changes[key] = text(form, key, LIMITS.get(key, 100))
    try:
        async with state.sessions() as session, session.begin():
            config = await overrides.save(
                session, state.file_config or state.config, changes, by=reader.viewer.account
            )
    except overrides.SettingsRefused as exc:
        errors = {
            field: reader.gettext(REFUSALS.get(field, overrides.INVALID)) for field in exc.fields
        }
        return await _page(request, reader, 422, values=changes, errors=errors)
    except ValidationFailed as exc:
        field = exc.field or "form"
        return await _page(
            request, reader, 422, values=changes, errors={field: reader.gettext(exc.message)}
        )
    state.reconfigure(config)
    return await _page(request, reader, notice=SAVED)


routes = [
    Route("/admin/settings", settings_page, methods=["GET"]),
    Route("/admin/settings", save, methods=["POST"]),
]
