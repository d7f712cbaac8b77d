# One profiling job per sample, then two cheap rules that gather the profiles; those run
# in the Snakemake process itself rather than as cluster jobs.


localrules:
    summary,
    report,


rule profile_sample:
    input:
        reads_of_sample,
    output:
        profile="results/samples/{sample}.profile.json",
        fastp="results/samples/{sample}.fastp.json",
    log:
        "logs/profile_sample/{sample}.log",
    params:
        quality_offset=PARAMS["quality_offset"],
        max_read_length=PARAMS["max_read_length"],
        chunk_mb=PARAMS["chunk_mb"],
    threads: 1
    resources:
        mem_mb=profile_memory_mb(),
    script:
        "../scripts/profile_sample.py"


rule summary:
    input:
        expand("results/samples/{sample}.profile.json", sample=SAMPLES),
    output:
        "results/summary.tsv",
    log:
        "logs/summary.log",
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/write_summary.py"


rule report:
    input:
        expand("results/samples/{sample}.profile.json", sample=SAMPLES),
    output:
        "results/report.html",
    log:
        "logs/report.log",
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/write_report.py"
