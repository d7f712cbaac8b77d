# One search job per spectrum file; the merge reads every file's PSMs and writes the
# combined tables, and the summary and report read those. The cheap gathering rules run
# in the Snakemake process itself rather than as cluster jobs.


localrules:
    summary,
    report,


rule search_sample:
    input:
        spectra=spectra_of_sample,
        proteins=PROTEINS,
    output:
        "results/psms/{sample}.psms.tsv",
    log:
        "logs/search_sample/{sample}.log",
    params:
        search=SEARCH_PARAMS,
    threads: 1
    resources:
        mem_mb=search_memory_mb(),
    script:
        "../scripts/search_sample.py"


rule merge:
    input:
        expand("results/psms/{sample}.psms.tsv", sample=SAMPLES),
    output:
        psms="results/psms.tsv",
        peptides="results/peptides.tsv",
        proteins="results/proteins.tsv",
    log:
        "logs/merge.log",
    params:
        fdr=PARAMS["fdr_threshold"],
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../scripts/merge_psms.py"


rule summary:
    input:
        psms="results/psms.tsv",
    output:
        "results/summary.tsv",
    log:
        "logs/summary.log",
    params:
        fdr=PARAMS["fdr_threshold"],
        samples=SAMPLES,
        files={sample: PurePath(path).name for sample, path in SPECTRA.items()},
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/write_summary.py"


rule report:
    input:
        psms="results/psms.tsv",
        peptides="results/peptides.tsv",
        proteins="results/proteins.tsv",
        summary="results/summary.tsv",
    output:
        "results/report.html",
    log:
        "logs/report.log",
    params:
        fdr=PARAMS["fdr_threshold"],
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/write_report.py"
