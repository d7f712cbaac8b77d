from pathlib import Path

from snakemake.utils import validate


validate(config["params"], "../schemas/params.schema.yaml")

SAMPLES = {Path(path).stem: path for path in config["inputs"]["texts"]}
