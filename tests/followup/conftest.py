from mailflow.conftest import english, world

__all__ = ["english", "world"]
