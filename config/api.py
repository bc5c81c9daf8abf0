"""The REST API under /api/v1 (django-ninja): each app owns its router (`care365/<app>/api.py`),
this module assembles them.

Bearer tokens from `POST /api/v1/auth/token` (or the signed-in browser's session, with CSRF) on
every operation; the OpenAPI schema at /api/v1/openapi.json; the interactive docs at /api/v1/docs,
served from the app's own static files (no CDN: a county may run Care365 on an intranet).
"""

from ninja import NinjaAPI, Swagger

from care365.accounts import api as accounts
from care365.areas import api as areas
from care365.care import api as care
from care365.carers import api as carers
from care365.core import api as errors
from care365.insights import api as insights
from care365.network import api as network
from care365.network import api_schools as network_schools
from care365.network import api_staff as network_staff
from care365.pairing import api as pairing
from care365.protection import api as protection
from care365.registry import api as children

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
    auth=[accounts.BearerAuth(), accounts.SessionAuth()],
    docs=Swagger(settings={"persistAuthorization": False}),
)
errors.install(api)
api.add_router("/auth", accounts.router)
api.add_router("/users", accounts.users_router)
api.add_router("/children", children.router)
api.add_router("/children", pairing.children_router)
api.add_router("/pairing", pairing.router)
api.add_router("/carers", carers.router)
api.add_router("/organisations", carers.organisations_router)
api.add_router("/areas", areas.router)
api.add_router("/access-log", accounts.access_log_router)
api.add_router("", protection.router)
api.add_router("", care.router)
api.add_router("/stats", insights.router)
api.add_router("", network.router)
api.add_router("", network_staff.router)
api.add_router("", network_schools.router)
