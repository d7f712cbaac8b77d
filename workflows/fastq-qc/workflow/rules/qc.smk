# Per sample, in chunks (one chunk unless a file is over split_mb): each chunk's raw
# reads are profiled and the chunk profiles merged; when trimming is on, each chunk is
# trimmed with the adapters decided from the merged profile, and the trimmed chunks and
# their profiles merged. Where adapters and poly-G trimming are set (SINGLE_PASS), one
# job per chunk profiles and trims in a single pass instead. Cheap rules that gather
# JSON documents run in the Snakemake process itself rather than as cluster jobs.


localrules:
    merge_profiles,
    fastp_report,
    summary,
    report,


rule split_sample:
    input:
        reads_of_sample,
    output:
        temp(directory("chunks/{sample}/reads")),
    log:
        "logs/split_sample/{sample}.log",
    wildcard_constraints:
        sample=_alternatives(SPLIT_SAMPLES),
    params:
        chunks=lambda wildcards: CHUNKS[wildcards.sample],
    threads: 1
    resources:
        mem_mb=profile_memory_mb(),
    script:
        "../scripts/split_sample.py"


if SINGLE_PASS:

    rule profile_and_trim_chunk:
        input:
            chunk_source,
        output:
            profile=temp("chunks/{sample}/profile_{chunk}.json"),
            trimmed=temp(directory("chunks/{sample}/trimmed_{chunk}")),
        log:
            "logs/profile_and_trim_chunk/{sample}.{chunk}.log",
        params:
            files=chunk_files,
            reads=reads_of_sample,
            quality_offset=PARAMS["quality_offset"],
            **TRIM_PARAMS,
        # One thread, as trim_chunk below; reading, profiling and compressing run in
        # threads of their own.
        threads: 1
        resources:
            mem_mb=lambda wildcards, threads: single_pass_memory_mb(threads),
        script:
            "../scripts/profile_and_trim_chunk.py"

else:

    rule profile_chunk:
        input:
            chunk_source,
        output:
            temp("chunks/{sample}/profile_{chunk}.json"),
        log:
            "logs/profile_chunk/{sample}.{chunk}.log",
        params:
            files=chunk_files,
            reads=reads_of_sample,
            quality_offset=PARAMS["quality_offset"],
            max_read_length=PARAMS["max_read_length"],
            chunk_mb=PARAMS["chunk_mb"],
        threads: 1
        resources:
            mem_mb=profile_memory_mb(),
        script:
            "../scripts/profile_chunk.py"

    rule trim_chunk:
        input:
            reads=chunk_source,
            profile="results/samples/{sample}.profile.json",
        output:
            temp(directory("chunks/{sample}/trimmed_{chunk}")),
        log:
            "logs/trim_chunk/{sample}.{chunk}.log",
        params:
            files=chunk_files,
            reads=reads_of_sample,
            **TRIM_PARAMS,
        # One thread, so that the job fits any Dask worker (those of `lsdih up` offer one
        # cpu each); ISA-L compresses and the trimmed reads are profiled in threads of
        # their own even so (the profile takes about a third of the trimming time). Where
        # workers are larger, --set-threads trim_chunk=N trims and compresses on N threads.
        threads: 1
        resources:
            mem_mb=lambda wildcards, threads: trim_memory_mb(threads),
        script:
            "../scripts/trim_chunk.py"


rule merge_profiles:
    input:
        chunks_of("chunks/{sample}/profile_{chunk}.json"),
    output:
        "results/samples/{sample}.profile.json",
    log:
        "logs/merge_profiles/{sample}.log",
    params:
        reads=reads_of_sample,
        quality_offset=PARAMS["quality_offset"],
        max_read_length=PARAMS["max_read_length"],
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/merge_profiles.py"


rule merge_trimmed_single:
    input:
        chunks=chunks_of("chunks/{sample}/trimmed_{chunk}"),
        # In a single pass each chunk decided from its own reads: merged, the sample's
        # profile decides again (the same adapters; their content in the whole sample).
        profile="results/samples/{sample}.profile.json" if SINGLE_PASS else [],
    output:
        trimmed="results/trimmed/{sample}.fastq.gz",
        document="results/samples/{sample}.trimming.json",
    log:
        "logs/merge_trimmed/{sample}.log",
    params:
        **TRIM_PARAMS,
    wildcard_constraints:
        sample=_alternatives(SINGLE_SAMPLES),
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/merge_trimmed.py"


rule merge_trimmed_paired:
    input:
        chunks=chunks_of("chunks/{sample}/trimmed_{chunk}"),
        # In a single pass each chunk decided from its own reads: merged, the sample's
        # profile decides again (the same adapters; their content in the whole sample).
        profile="results/samples/{sample}.profile.json" if SINGLE_PASS else [],
    output:
        trimmed=["results/trimmed/{sample}_R1.fastq.gz", "results/trimmed/{sample}_R2.fastq.gz"],
        document="results/samples/{sample}.trimming.json",
    log:
        "logs/merge_trimmed/{sample}.log",
    params:
        **TRIM_PARAMS,
    wildcard_constraints:
        sample=_alternatives(PAIRED_SAMPLES),
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/merge_trimmed.py"


rule fastp_report:
    input:
        profile="results/samples/{sample}.profile.json",
        trimming="results/samples/{sample}.trimming.json" if TRIM else [],
    output:
        "results/samples/{sample}.fastp.json",
    log:
        "logs/fastp_report/{sample}.log",
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/write_fastp_report.py"


rule summary:
    input:
        unpack(sample_documents),
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
        unpack(sample_documents),
    output:
        "results/report.html",
    log:
        "logs/report.log",
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../scripts/write_report.py"
