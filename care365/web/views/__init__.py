"""The shell's pages: home per role, sign-in and two-step sign-in, tokens. Each app owns its
own pages (`care365/<app>/views.py`)."""
