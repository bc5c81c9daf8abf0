from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password

from care365.accounts.models import Role, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.DIRECTOR
    password = factory.LazyFunction(lambda: make_password(PASSWORD))
