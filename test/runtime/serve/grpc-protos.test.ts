/**
 * runtime/protos declares a subset of the TensorFlow / TensorFlow Serving API (see its README);
 * a client generated from the upstream files only interoperates if every declared field keeps
 * the upstream number and type. The table below is transcribed from the upstream files:
 *   tensorflow/serving tensorflow_serving/apis/predict.proto @ 150bad406c8bbf160d7f139da061c951ac09f54c
 *   tensorflow/serving tensorflow_serving/apis/classification.proto @ 02374bc8d19b2eda826e06bbe586413a16fb2ce8
 *   tensorflow/serving tensorflow_serving/apis/regression.proto @ 416e5d2d85302d590756101c38a14452b881310c
 *   tensorflow/serving tensorflow_serving/apis/input.proto @ 4bc435b55ae46a03192ba0191e3bd76d5cf5e17c
 *   tensorflow/serving tensorflow_serving/apis/get_model_metadata.proto @ 4bc435b55ae46a03192ba0191e3bd76d5cf5e17c
 *   tensorflow/serving tensorflow_serving/apis/get_model_status.proto, util/status.proto @ 00e459f1604c40c073cbb9cb92d72cb6a88be9cd
 *   tensorflow/serving tensorflow_serving/apis/model.proto (version_choice oneof: version = 2, version_label = 4; signature_name = 3)
 *   tensorflow/serving tensorflow_serving/apis/prediction_service.proto @ 36aa4a60e4fdd833f304136677cb9f97792e7aec
 *   tensorflow/tensorflow tensorflow/core/framework/tensor.proto @ 065b160a25dd2b8b3109f951a6333317d09d9f91
 *   tensorflow/tensorflow tensorflow/core/framework/{tensor_shape,types}.proto, core/example/{feature,example}.proto,
 *     core/protobuf/meta_graph.proto (TensorInfo: name = 1, dtype = 2, tensor_shape = 3; SignatureDef: inputs = 1,
 *     outputs = 2, method_name = 3)
 */
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import protobuf from "protobufjs";
import { PROTO_DIR, SERVICE_PROTOS } from "../../../runtime/src/serve/grpc/protos.ts";

const root = new protobuf.Root();
root.resolvePath = (_o, t) => (t.startsWith("google/protobuf/") ? t : path.join(PROTO_DIR, t));
root.loadSync([...SERVICE_PROTOS], { keepCase: true });
root.resolveAll();

// message → field → "id type" ("map<k,v>", "repeated t").
const UPSTREAM: Record<string, Record<string, string>> = {
  "tensorflow.serving.ModelSpec": { name: "1 string", version: "2 google.protobuf.Int64Value", version_label: "4 string", signature_name: "3 string" },
  "tensorflow.serving.PredictRequest": { model_spec: "1 ModelSpec", inputs: "2 map<string,TensorProto>", output_filter: "3 repeated string" },
  "tensorflow.serving.PredictResponse": { model_spec: "2 ModelSpec", outputs: "1 map<string,TensorProto>" },
  "tensorflow.serving.Class": { label: "1 string", score: "2 float" },
  "tensorflow.serving.Classifications": { classes: "1 repeated Class" },
  "tensorflow.serving.ClassificationResult": { classifications: "1 repeated Classifications" },
  "tensorflow.serving.ClassificationRequest": { model_spec: "1 ModelSpec", input: "2 tensorflow.serving.Input" },
  "tensorflow.serving.ClassificationResponse": { model_spec: "2 ModelSpec", result: "1 ClassificationResult" },
  "tensorflow.serving.Regression": { value: "1 float" },
  "tensorflow.serving.RegressionResult": { regressions: "1 repeated Regression" },
  "tensorflow.serving.RegressionRequest": { model_spec: "1 ModelSpec", input: "2 tensorflow.serving.Input" },
  "tensorflow.serving.RegressionResponse": { model_spec: "2 ModelSpec", result: "1 RegressionResult" },
  "tensorflow.serving.ExampleList": { examples: "1 repeated tensorflow.Example" },
  "tensorflow.serving.ExampleListWithContext": { examples: "1 repeated tensorflow.Example", context: "2 tensorflow.Example" },
  "tensorflow.serving.Input": { example_list: "1 ExampleList", example_list_with_context: "2 ExampleListWithContext" },
  "tensorflow.serving.SignatureDefMap": { signature_def: "1 map<string,SignatureDef>" },
  "tensorflow.serving.GetModelMetadataRequest": { model_spec: "1 ModelSpec", metadata_field: "2 repeated string" },
  "tensorflow.serving.GetModelMetadataResponse": { model_spec: "1 ModelSpec", metadata: "2 map<string,google.protobuf.Any>" },
  "tensorflow.serving.GetModelStatusRequest": { model_spec: "1 ModelSpec" },
  "tensorflow.serving.ModelVersionStatus": { version: "1 int64", state: "2 State", status: "3 StatusProto" },
  "tensorflow.serving.GetModelStatusResponse": { model_version_status: "1 repeated ModelVersionStatus" },
  "tensorflow.serving.StatusProto": { error_code: "1 error.Code", error_message: "2 string" },
  "tensorflow.TensorProto": {
    dtype: "1 DataType", tensor_shape: "2 TensorShapeProto", version_number: "3 int32", tensor_content: "4 bytes", half_val: "13 repeated int32",
    float_val: "5 repeated float", double_val: "6 repeated double", int_val: "7 repeated int32", string_val: "8 repeated bytes", scomplex_val: "9 repeated float",
    int64_val: "10 repeated int64", bool_val: "11 repeated bool", dcomplex_val: "12 repeated double", uint32_val: "16 repeated uint32", uint64_val: "17 repeated uint64",
  },
  "tensorflow.TensorShapeProto": { dim: "2 repeated Dim", unknown_rank: "3 bool" },
  "tensorflow.TensorShapeProto.Dim": { size: "1 int64", name: "2 string" },
  "tensorflow.Example": { features: "1 Features" },
  "tensorflow.Features": { feature: "1 map<string,Feature>" },
  "tensorflow.Feature": { bytes_list: "1 BytesList", float_list: "2 FloatList", int64_list: "3 Int64List" },
  "tensorflow.BytesList": { value: "1 repeated bytes" },
  "tensorflow.FloatList": { value: "1 repeated float" },
  "tensorflow.Int64List": { value: "1 repeated int64" },
  "tensorflow.TensorInfo": { name: "1 string", dtype: "2 DataType", tensor_shape: "3 TensorShapeProto" },
  "tensorflow.SignatureDef": { inputs: "1 map<string,TensorInfo>", outputs: "2 map<string,TensorInfo>", method_name: "3 string" },
};

const describeField = (f: protobuf.Field) =>
  `${f.id} ${f instanceof protobuf.MapField ? `map<${f.keyType},${f.type}>` : `${f.repeated ? "repeated " : ""}${f.type}`}`;

test("every declared TensorFlow Serving field keeps its upstream number and type", () => {
  for (const [message, fields] of Object.entries(UPSTREAM)) {
    const type = root.lookupType(message);
    const declared = Object.fromEntries(type.fieldsArray.map((f) => [f.name, describeField(f)]));
    assert.deepEqual(declared, fields, message);
  }
});

test("enums keep the upstream numbers the server sends (DataType, ModelVersionStatus.State, error.Code)", () => {
  const dt = root.lookupEnum("tensorflow.DataType").values;
  assert.deepEqual(
    { DT_FLOAT: dt.DT_FLOAT, DT_DOUBLE: dt.DT_DOUBLE, DT_INT32: dt.DT_INT32, DT_STRING: dt.DT_STRING, DT_INT64: dt.DT_INT64, DT_BOOL: dt.DT_BOOL, DT_HALF: dt.DT_HALF, DT_UINT32: dt.DT_UINT32, DT_UINT64: dt.DT_UINT64 },
    { DT_FLOAT: 1, DT_DOUBLE: 2, DT_INT32: 3, DT_STRING: 7, DT_INT64: 9, DT_BOOL: 10, DT_HALF: 19, DT_UINT32: 22, DT_UINT64: 23 },
  );
  assert.deepEqual(root.lookupEnum("tensorflow.serving.ModelVersionStatus.State").values, { UNKNOWN: 0, START: 10, LOADING: 20, AVAILABLE: 30, UNLOADING: 40, END: 50 });
  const code = root.lookupEnum("tensorflow.error.Code").values;
  assert.deepEqual([code.OK, code.INVALID_ARGUMENT, code.NOT_FOUND, code.RESOURCE_EXHAUSTED, code.UNAVAILABLE, code.UNAUTHENTICATED], [0, 3, 5, 8, 14, 16]);
});

test("the services have the upstream full names and method signatures", () => {
  const methods = (s: string) => Object.fromEntries(root.lookupService(s).methodsArray.map((m) => [m.name, `${m.requestType} -> ${m.responseType}`]));
  assert.deepEqual(methods("tensorflow.serving.PredictionService"), {
    Classify: "ClassificationRequest -> ClassificationResponse",
    Regress: "RegressionRequest -> RegressionResponse",
    Predict: "PredictRequest -> PredictResponse",
    GetModelMetadata: "GetModelMetadataRequest -> GetModelMetadataResponse",
  });
  assert.deepEqual(methods("tensorflow.serving.ModelService"), { GetModelStatus: "GetModelStatusRequest -> GetModelStatusResponse" });
  assert.deepEqual(Object.keys(methods("inference.GRPCInferenceService")), ["ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer"]);
});
