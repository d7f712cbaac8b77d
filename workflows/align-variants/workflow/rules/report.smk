# Two cheap rules gather the samples' results; they run in the Snakemake process itself.


localrules:
    summary,
    report,


rule summary:
    input:
        unpack(sample_results),
    output:
        "results/summary.tsv",
    log:
        "logs/summary.log",
    params:
        samples=SAMPLES,
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/write_summary.py"


rule report:
    input:
        unpack(sample_results),
    output:
        "results/report.html",
    log:
        "logs/report.log",
    params:
        samples=SAMPLES,
        settings=PARAMS,
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/write_report.py"
