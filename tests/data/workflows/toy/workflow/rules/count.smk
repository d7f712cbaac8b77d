rule count:
    input:
        lambda wildcards: SAMPLES[wildcards.sample],
    output:
        "results/counts/{sample}.txt",
    params:
        sleep=config["params"]["sleep_seconds"],
        fail=lambda wildcards: int(wildcards.sample == config["params"]["fail_sample"]),
        marker=config["params"]["marker"],
    log:
        "logs/count/{sample}.log",
    threads: 1
    resources:
        mem_mb=100,
    shell:
        "(echo counting {wildcards.sample:q} {params.marker:q}; sleep {params.sleep:q};"
        " if [ {params.fail:q} = 1 ]; then echo 'deliberate failure' >&2; exit 3; fi;"
        " wc -l < {input:q} > {output:q}) > {log:q} 2>&1"


rule total:
    input:
        expand("results/counts/{sample}.txt", sample=sorted(SAMPLES)),
    output:
        "results/total.txt",
    params:
        label=config["params"]["label"],
    log:
        "logs/total.log",
    shell:
        "(printf '%s ' {params.label:q} && cat {input:q} | awk '{{s += $1}} END {{print s}}') > {output:q} 2> {log:q}"
