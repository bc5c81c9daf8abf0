"""The REST API under /api/v1 (django-ninja). The routers live in care365/web/api/.

Bearer tokens from `POST /api/v1/auth/token` (or the signed-in browser's session, with CSRF) on
every operation; the OpenAPI schema at /api/v1/openapi.json; the interactive docs at /api/v1/docs,
served from the app's own static files (no CDN: a county may run Care365 on an intranet).
"""

from ninja import NinjaAPI, Swagger

from care365.web.api import (
    access_log,
    areas,
    auth,
    care,
    carers,
    children,
    errors,
    pairing,
    protection,
)

api = NinjaAPI(
    title="Care365 API",
    version="1",
    description=(
        "The county registry of left-behind children and children in difficulty. Get a token "
        "with `POST /api/v1/auth/token`, then send `Authorization: Bearer <token>`. Every error "
        'answers `{"detail": ..., "errors": {field: [messages]}}` in the language of '
        "Accept-Language."
    ),
    urls_namespace="api",
    auth=[auth.BearerAuth(), auth.SessionAuth()],
    docs=Swagger(settings={"persistAuthorization": False}),
)
errors.install(api)
api.add_router("/auth", auth.router)
api.add_router("/users", auth.users_router)
api.add_router("/children", children.router)
api.add_router("/children", pairing.children_router)
api.add_router("/pairing", pairing.router)
api.add_router("/carers", carers.router)
api.add_router("/areas", areas.router)
api.add_router("/access-log", access_log.router)
api.add_router("", protection.router)
api.add_router("", care.router)
