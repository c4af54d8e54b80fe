"""Validates custom resources against their CRD's OpenAPI schema, as an API server with strict
field validation (kubectl's default) would: unknown fields are errors, not silently pruned.

usage: validate-crd.py CRD.yaml MANIFESTS.yaml
Prints one line per error and the number of resources validated; exit 1 on any error. Runs in the
kubernetes-validate virtualenv, which brings jsonschema and PyYAML.
"""
import sys

import jsonschema
import yaml


def strict(schema):
    """The CRD schema as JSON Schema with unknown fields forbidden (where the CRD does not keep them)."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) for k, v in schema.items()}
    if schema.get("nullable"):
        out["type"] = [schema["type"], "null"] if "type" in schema else None
        if out["type"] is None:
            del out["type"]
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def main(crd_file, manifests_file):
    with open(crd_file) as f:
        crd = yaml.safe_load(f)
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    schemas = {
        f"{group}/{v['name']}": strict(v["schema"]["openAPIV3Schema"]) for v in crd["spec"]["versions"] if v["served"]
    }
    errors, validated = [], 0
    with open(manifests_file) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    for doc in docs:
        if doc.get("kind") != kind:
            continue
        schema = schemas.get(doc.get("apiVersion"))
        name = f"{kind}/{doc.get('metadata', {}).get('name')}"
        if schema is None:
            errors.append(f"{name}: apiVersion {doc.get('apiVersion')} is not served by {crd_file}")
            continue
        validated += 1
        for e in jsonschema.Draft7Validator(schema).iter_errors(doc):
            where = ".".join(str(p) for p in e.absolute_path) or "(root)"
            errors.append(f"{name}: {where}: {e.message}")
    for line in errors:
        print(line)
    print(f"validated {validated} {kind}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
