# Per sample, from the sorted BAM: depth and coverage; variant calls and the consensus.


rule coverage:
    input:
        bam="results/samples/{sample}.bam",
        index="results/samples/{sample}.bam.bai",
    output:
        depth="results/samples/{sample}.depth.tsv.gz",
        summary="results/samples/{sample}.coverage.tsv",
        profile="results/samples/{sample}.coverage.json",
    log:
        "logs/coverage/{sample}.log",
    threads: 1
    resources:
        mem_mb=1500,
    script:
        "../scripts/sample_coverage.py"


rule call_variants:
    input:
        bam="results/samples/{sample}.bam",
        index="results/samples/{sample}.bam.bai",
        reference=REFERENCE_DIR,
    output:
        vcf="results/samples/{sample}.vcf.gz",
        index="results/samples/{sample}.vcf.gz.tbi",
        consensus="results/samples/{sample}.consensus.fa",
    log:
        "logs/call_variants/{sample}.log",
    params:
        min_base_quality=PARAMS["min_base_quality"],
        min_mapping_quality=PARAMS["min_mapping_quality"],
        max_depth=PARAMS["max_depth"],
        ploidy=PARAMS["ploidy"],
        min_qual=PARAMS["min_qual"],
        min_depth=PARAMS["min_depth"],
        min_consensus_depth=PARAMS["min_consensus_depth"],
    # The consensus is made in the same job, from the calls just written: one process
    # start less on the way to the report.
    threads: 1
    resources:
        mem_mb=1500,
    script:
        "../scripts/call_sample_variants.py"
