"""The pandas + LightGBM peer of `mlops predict` for bench/batch-scoring.ts.

  python3 bench/batch_scoring_peer.py train <train.csv> <model.txt>
  python3 bench/batch_scoring_peer.py score <model.txt> <input> <output>

`train` fits a LightGBM regressor (100 rounds, defaults) on the cars-mpg training file the
runtime's model is trained on. `score` is what a pandas batch job does: read the whole input
(CSV with pandas.read_csv, Parquet with pandas.read_parquet / pyarrow), predict, add a
"prediction" column, write the output in the input's format. Inputs and outputs may be s3://
URLs: read and written whole with boto3 (endpoint AWS_ENDPOINT_URL_S3: moto in the bench).
Prints one JSON line: seconds spent after imports, and peak RSS (ru_maxrss) in MB.
Requires: pip install pandas pyarrow lightgbm (and boto3 for s3://).
"""
import io
import json
import os
import resource
import sys
import time

t0 = time.time()
import lightgbm as lgb  # noqa: E402
import pandas as pd  # noqa: E402

FEATURES = ["Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Origin"]


def read_input(url):
    if url.startswith("s3://"):
        import boto3  # noqa: PLC0415 (only for s3:// runs)

        bucket, key = url[len("s3://"):].split("/", 1)
        body = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3")).get_object(Bucket=bucket, Key=key)["Body"].read()
        return io.BytesIO(body)
    return url


def write_output(url, data):
    if url.startswith("s3://"):
        import boto3  # noqa: PLC0415

        bucket, key = url[len("s3://"):].split("/", 1)
        boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3")).put_object(Bucket=bucket, Key=key, Body=data)
    else:
        with open(url, "wb") as f:
            f.write(data)


def main():
    if sys.argv[1] == "train":
        train = pd.read_csv(sys.argv[2]).dropna(subset=["Miles_per_Gallon"])
        x = train[FEATURES].copy()
        x["Origin"] = x["Origin"].astype("category")
        lgb.train({"objective": "regression", "verbose": -1}, lgb.Dataset(x, train["Miles_per_Gallon"]), num_boost_round=100).save_model(sys.argv[3])
        return
    model, source, target = sys.argv[2:5]
    t1 = time.time()
    booster = lgb.Booster(model_file=model)
    parquet = source.endswith(".parquet")
    f = read_input(source)
    df = pd.read_parquet(f) if parquet else pd.read_csv(f)
    x = df[FEATURES].copy()
    x["Origin"] = pd.Categorical(x["Origin"], categories=booster.pandas_categorical[0])
    df["prediction"] = booster.predict(x)
    if parquet:
        out = io.BytesIO()
        df.to_parquet(out, index=False)
        write_output(target, out.getvalue())
    else:
        write_output(target, df.to_csv(index=False).encode())
    print(json.dumps({"importSeconds": t1 - t0, "workSeconds": time.time() - t1, "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
