"""From a delivered file to a validated batch: read (CSV, GBK CSV, XLSX), parse cells, validate with Great
Expectations, pseudonymise personal data, land the batch, and write the rejection report of a bad file.
Never touches the warehouse."""
