"""factory_boy factories for accounts."""

from __future__ import annotations

import factory

from switchboard.accounts.models import Organization, OrganizationDomain, Role, SupportGroup, User


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Customer {n}")
    support_level = "standard"


class OrganizationDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationDomain

    organization = factory.SubFactory(OrganizationFactory)
    domain = factory.Sequence(lambda n: f"customer{n}.test")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    name = factory.Sequence(lambda n: f"User {n}")
    role = Role.END_USER
    password = factory.django.Password("pw-for-tests-123")


class AgentFactory(UserFactory):
    email = factory.Sequence(lambda n: f"agent{n}@switchboard.test")
    role = Role.AGENT
    time_zone = "America/New_York"


class AdminFactory(UserFactory):
    email = factory.Sequence(lambda n: f"admin{n}@switchboard.test")
    role = Role.ADMIN
    is_superuser = True


class SupportGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportGroup

    name = factory.Sequence(lambda n: f"Group {n}")
