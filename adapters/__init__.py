"""ATS adapters: one module per applicant tracking system, all speaking the normalized models."""
