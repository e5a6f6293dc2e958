"""Files in and out: the catalog of each step's tables, Parquet and .xlsx written byte for byte, the office
readers, provenance."""
