"""The synthetic county: areas, children with their families, and carers (`care365 seed`)."""

from care365.seeding.seed.run import SeedRefusedError, SeedResult, seed_county

__all__ = ["SeedRefusedError", "SeedResult", "seed_county"]
