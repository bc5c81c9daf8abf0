"""The shell's pages: home, sign-in and the two-step code, API tokens, notices."""

from django.urls import path

from care365.web.views import auth, home

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("county/", home.county, name="county"),
    path("login/", auth.SignInView.as_view(), name="login"),
    path("login/code/", auth.login_code, name="login-code"),
    path("login/set-up/", auth.login_enrol, name="login-enrol"),
    path("account/two-step/", auth.two_factor, name="two-factor"),
    path("account/two-step/start/", auth.two_factor_start, name="two-factor-start"),
    path("account/two-step/confirm/", auth.two_factor_confirm, name="two-factor-confirm"),
    path("account/two-step/recovery-codes/", auth.two_factor_codes, name="two-factor-codes"),
    path("account/two-step/remove/", auth.two_factor_remove, name="two-factor-remove"),
    path("account/tokens/", auth.api_tokens, name="api-tokens"),
    path("account/tokens/<id:token_id>/revoke/", auth.api_token_revoke, name="api-token-revoke"),
    path(
        "account/users/<id:user_id>/tokens/revoke/",
        auth.user_tokens_revoke,
        name="user-tokens-revoke",
    ),
    path(
        "account/set-password/<str:uidb64>/<str:token>/",
        auth.PasswordSetView.as_view(),
        name="password-set",
    ),
    path("logout/", auth.SignOutView.as_view(), name="logout"),
    path("notices/read/", home.notices_read, name="notices-read"),
]
