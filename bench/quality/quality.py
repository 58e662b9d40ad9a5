"""Python side of bench/quality.ts: datasets, fixed splits, sklearn and LightGBM baselines, scoring.

  python3 quality.py prepare <out>            write <out>/<name>/{train,test}.csv, split.json, meta.json
  python3 quality.py baselines <out> <seeds>  fit LogisticRegression/Ridge, MLP (per seed), LightGBM; write baselines.json
  python3 quality.py score <out> <name> <predictions.csv> <label>  score a runtime prediction file; print JSON

Every system sees the same rows: the split is made once per dataset (stratified for classifiers,
seed 0, 25 % test) and its indices written to split.json; the runtime gets the train/test CSV files
as they are (id and date columns included: handling them is part of what is measured), the Python
models the same rows with the preprocessing a data scientist would write (id and free-text columns
dropped, dates as year/month/day-of-year, median imputation with missing indicators, one-hot
categoricals; LightGBM gets pandas categoricals and NaN natively). Metrics are sklearn's, for every
system, on the test rows.
"""
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, r2_score, roc_auc_score, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

VEGA = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "vega-datasets", "data")


def sk(loader, target="target"):
    d = loader(as_frame=True)
    df = d.frame.copy()
    df = df.rename(columns={"target": target})
    return df


def load_all():
    """name -> (frame, target, task, drop_for_python, date_columns, note)"""
    out = {}
    bc = sk(datasets.load_breast_cancer, "diagnosis")
    out["breast_cancer"] = (bc, "diagnosis", "binary", [], [], "sklearn bundled; numeric")
    wine = sk(datasets.load_wine, "cultivar").sort_values("cultivar", kind="stable").reset_index(drop=True)
    wine.insert(0, "id", np.arange(1, len(wine) + 1))  # a row id in a file ordered by class: the leak of defect 1
    out["wine_id"] = (wine, "cultivar", "multiclass", ["id"], [], "sklearn wine, sorted by class, numeric row id column added")
    out["digits"] = (sk(datasets.load_digits, "digit"), "digit", "multiclass", [], [], "sklearn bundled 8x8 images, 64 columns")
    out["diabetes"] = (sk(datasets.load_diabetes, "progression"), "progression", "regression", [], [], "sklearn bundled; numeric")
    cars = pd.read_json(os.path.join(VEGA, "cars.json")).dropna(subset=["Miles_per_Gallon"]).reset_index(drop=True)
    out["cars"] = (cars, "Miles_per_Gallon", "regression", ["Name"], ["Year"], "vega; categorical Origin, missing Horsepower, free-text Name, date Year")
    peng = pd.read_json(os.path.join(VEGA, "penguins.json")).replace({"Sex": {".": None}})
    out["penguins"] = (peng, "Species", "multiclass", [], [], "vega; categoricals Island/Sex, missing values")
    fl = pd.read_json(os.path.join(VEGA, "flights-5k.json"))
    fl["delayed"] = np.where(fl["delay"] > 15, "yes", "no")
    fl = fl.drop(columns=["delay"])
    out["flights"] = (fl, "delayed", "binary", [], ["date"], "vega flights-5k; 22 % delayed (imbalanced), categorical airports, date")
    sw = pd.read_csv(os.path.join(VEGA, "seattle-weather.csv"))
    out["seattle_weather"] = (sw, "weather", "multiclass", [], ["date"], "vega; 5 classes, snow rare (1.8 %), date")
    return out


def prepare(out):
    os.makedirs(out, exist_ok=True)
    for name, (df, target, task, drop, dates, note) in load_all().items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        idx = np.arange(len(df))
        strat = df[target] if task != "regression" else None
        tr, te = train_test_split(idx, test_size=0.25, random_state=0, stratify=strat)
        tr, te = np.sort(tr), np.sort(te)
        df.iloc[tr].to_csv(os.path.join(d, "train.csv"), index=False)
        df.iloc[te].to_csv(os.path.join(d, "test.csv"), index=False)
        json.dump({"train": tr.tolist(), "test": te.tolist()}, open(os.path.join(d, "split.json"), "w"))
        json.dump({"name": name, "target": target, "task": task, "drop": drop, "dates": dates, "rows": len(df), "columns": len(df.columns) - 1, "note": note}, open(os.path.join(d, "meta.json"), "w"))
        print(name, len(tr), len(te), task)


def frames(out, name):
    d = os.path.join(out, name)
    meta = json.load(open(os.path.join(d, "meta.json")))
    # Read back from the same files the runtime reads, so both see identical cells.
    tr = pd.read_csv(os.path.join(d, "train.csv"))
    te = pd.read_csv(os.path.join(d, "test.csv"))
    return meta, tr, te


def features(meta, df):
    x = df.drop(columns=[meta["target"]] + meta["drop"])
    for c in meta["dates"]:
        t = pd.to_datetime(x[c], errors="coerce")
        x[c + "_year"], x[c + "_month"], x[c + "_doy"] = t.dt.year, t.dt.month, t.dt.dayofyear
        if t.dt.hour.nunique() > 1:
            x[c + "_hour"] = t.dt.hour
        x = x.drop(columns=[c])
    return x


def scores(task, y_true, pred, classes=None):
    if task == "regression":
        return {"rmse": float(np.sqrt(mean_squared_error(y_true, pred))), "mae": float(mean_absolute_error(y_true, pred)), "r2": float(r2_score(y_true, pred))}
    proba = np.clip(np.asarray(pred, dtype=float), 1e-15, 1)
    proba = proba / proba.sum(axis=1, keepdims=True)
    labels = list(classes)
    yi = np.array([labels.index(v) for v in y_true])
    out = {"accuracy": float(accuracy_score(yi, proba.argmax(axis=1))), "logLoss": float(log_loss(yi, proba, labels=list(range(len(labels)))))}
    out["rocAuc"] = float(roc_auc_score(yi, proba[:, 1])) if len(labels) == 2 else float(roc_auc_score(yi, proba, multi_class="ovr", labels=list(range(len(labels)))))
    return out


def baselines(out, seeds):
    result = {}
    for name in sorted(os.listdir(out)):
        if not os.path.exists(os.path.join(out, name, "meta.json")):
            continue
        meta, tr, te = frames(out, name)
        task = meta["task"]
        xtr, xte = features(meta, tr), features(meta, te)
        ytr, yte = tr[meta["target"]], te[meta["target"]]
        cat = [c for c in xtr.columns if not pd.api.types.is_numeric_dtype(xtr[c])]
        num = [c for c in xtr.columns if c not in cat]
        pre = lambda: ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), num),
            ("cat", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"), OneHotEncoder(handle_unknown="ignore")), cat),
        ])
        classes = sorted(ytr.unique()) if task != "regression" else None
        res = {}

        def run(label, model, x1=xtr, x2=xte):
            t = time.perf_counter()
            model.fit(x1, ytr)
            secs = time.perf_counter() - t
            if task == "regression":
                m = scores(task, yte, model.predict(x2))
            else:
                p = model.predict_proba(x2)
                order = [list(model.classes_).index(c) for c in classes]
                m = scores(task, yte, p[:, order], classes)
            m["trainSeconds"] = secs
            res.setdefault(label, []).append(m)

        run("linear", make_pipeline(pre(), Ridge() if task == "regression" else LogisticRegression(max_iter=2000)))
        for s in range(seeds):
            run("sklearn_mlp", make_pipeline(pre(), MLPRegressor(random_state=s, max_iter=500) if task == "regression" else MLPClassifier(random_state=s, max_iter=500)))
        import lightgbm as lgb
        lx1, lx2 = xtr.copy(), xte.copy()
        for c in cat:
            cats = pd.CategoricalDtype(sorted(lx1[c].dropna().unique()))
            lx1[c], lx2[c] = lx1[c].astype(cats), lx2[c].astype(cats)
        run("lightgbm", lgb.LGBMRegressor(verbose=-1) if task == "regression" else lgb.LGBMClassifier(verbose=-1), lx1, lx2)
        result[name] = res
        print(name, {k: v[0] for k, v in res.items()}, file=sys.stderr)
    json.dump(result, open(os.path.join(out, "baselines.json"), "w"), indent=1)


def score(out, name, predictions):
    meta, _, te = frames(out, name)
    p = pd.read_csv(predictions)
    yte = te[meta["target"]]
    if meta["task"] == "regression":
        m = scores("regression", yte, p["prediction"].astype(float))
    else:
        classes = sorted(pd.read_csv(os.path.join(out, name, "train.csv"))[meta["target"]].unique())
        cols = {c[len("probability_"):]: c for c in p.columns if c.startswith("probability_")}
        proba = np.column_stack([p[cols[str(c)]].astype(float) if str(c) in cols else np.zeros(len(p)) for c in classes])
        m = scores(meta["task"], yte, proba, classes)
    print(json.dumps(m))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "prepare":
        prepare(sys.argv[2])
    elif cmd == "baselines":
        baselines(sys.argv[2], int(sys.argv[3]))
    elif cmd == "score":
        score(sys.argv[2], sys.argv[3], sys.argv[4])
