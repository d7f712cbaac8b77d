# The run's own reference: checked, bgzipped, indexed and digested once, before any
# sample job. A registered reference (config["references"]["reference"]) skips this rule.

if REFERENCE_DIR == "reference":

    rule prepare_reference:
        input:
            REFERENCE_FASTA,
        output:
            directory("reference"),
        log:
            "logs/prepare_reference.log",
        params:
            preset=PARAMS["preset"],
        threads: 1
        resources:
            mem_mb=2000,
        script:
            "../scripts/prepare_reference.py"
