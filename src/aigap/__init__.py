"""aigap: a system-dynamics toolkit projecting AI commercialization in the US and China."""

__version__ = "0.1.0"
