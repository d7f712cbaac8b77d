# Per sample: optional trimming, then alignment into a sorted, indexed BAM.


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
        bam="results/samples/{sample}.bam",
        index="results/samples/{sample}.bam.bai",
        counts="results/samples/{sample}.alignment.json",
    log:
        "logs/align_reads/{sample}.log",
    params:
        preset=PARAMS["preset"],
        trimmed=PARAMS["trim"],
    # One worker process per thread, each mapping its own batches of reads and writing
    # them as BAM (Snakemake and the Dask executor lower this to the cores a worker has);
    # then, in the same job (one process start less), the BAM is sorted and indexed, its
    # compression on the same threads.
    threads: 2
    resources:
        mem_mb=2000,
    script:
        "../scripts/align_sample.py"
