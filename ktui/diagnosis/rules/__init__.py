"""Rules, one module per area; each returns Hits (facts) that the catalog turns into Findings."""
