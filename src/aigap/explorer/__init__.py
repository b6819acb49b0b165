"""Live scenario explorer: one self-contained HTML page running the generated JS kernel."""
