"""Engine version: part of every cache key (bump when generated code or IR changes)."""

ENGINE_VERSION = "0.1.0"
