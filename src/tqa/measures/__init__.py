"""Step 3's computations as pure functions (DataFrames in, DataFrames out): intervals shared by every family, one
subpackage per family of measures (academic/ today), and the catalog that declares each measure."""
