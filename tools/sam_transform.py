"""Print template.yaml transformed by aws-sam-translator into plain CloudFormation (JSON), offline.

Runs in the template-tools environment (.venv-tools), since samtranslator pins older boto3 and
pydantic than the project uses. Local CodeUri/ContentUri become an s3:// placeholder, and managed
policy names resolve from an empty offline map (the template uses inline policies only).
"""

import json
import os
import sys
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

PLACEHOLDER = "s3://offline-transform/artifact.zip"


class OfflinePolicies:
    def load(self) -> dict[str, str]:
        return {}


def main() -> None:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # pseudo-parameters need a region; no call is made
    template = yaml_parse(Path(sys.argv[1] if len(sys.argv) > 1 else "template.yaml").read_text())
    for resource in template["Resources"].values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = PLACEHOLDER
    json.dump(transform(template, {}, OfflinePolicies()), sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main()
