# Per sample: optional trimming, alignment into an unsorted BAM, then sort and index.


rule trim_reads:
    input:
        lambda wildcards: READS[wildcards.sample],
    output:
        temp(directory("work/trimmed/{sample}")),
    log:
        "logs/trim_reads/{sample}.log",
    params:
        quality=PARAMS["trim_quality"],
        min_length=PARAMS["trim_min_length"],
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../scripts/trim_reads.py"


rule align_reads:
    input:
        unpack(aligner_input),
    output:
        bam=temp("work/aligned/{sample}.unsorted.bam"),
        counts="results/samples/{sample}.alignment.json",
    log:
        "logs/align_reads/{sample}.log",
    params:
        preset=PARAMS["preset"],
        trimmed=PARAMS["trim"],
    # One worker process per thread, each mapping its own batches of reads and writing
    # them as BAM (Snakemake and the Dask executor lower this to the cores a worker has).
    threads: 2
    resources:
        mem_mb=2000,
    script:
        "../scripts/align_sample.py"


rule sort_bam:
    input:
        "work/aligned/{sample}.unsorted.bam",
    output:
        bam="results/samples/{sample}.bam",
        index="results/samples/{sample}.bam.bai",
    log:
        "logs/sort_bam/{sample}.log",
    # Compressing the sorted BAM is most of the work; two threads halve it.
    threads: 2
    resources:
        mem_mb=1500,
    script:
        "../scripts/sort_bam.py"
