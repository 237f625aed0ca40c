package dev.neutrino.gateway.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest.InferInputTensor;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse.InferOutputTensor;
import dev.neutrino.microbench.BenchmarkDefaults;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The gRPC inference codec on one tensor of 256 FP32 values in {@code raw_input_contents} and
 * {@code raw_output_contents}, from the message's bytes to the frame's bytes: parse and decode a
 * request ({@code decodeRaw}: the input's tensor is a view of the message's byte string), and encode
 * and serialize a response ({@code encodeRaw}: the output's buffer is wrapped, not copied). Each has
 * a {@code ...Copied} twin doing the same with the copies the codec made before (the input into a
 * direct buffer of its own, the output into a byte string), to compare both in one run. The codec is
 * package-private in the gateway; this class sits in its package to call it.
 *
 * <p>Run: {@code java -jar microbench/target/neutrino-microbench.jar GrpcCodecBenchmark}
 */
@State(Scope.Benchmark)
public class GrpcCodecBenchmark extends BenchmarkDefaults {
  private static final long REQUEST_LIMIT_BYTES = 64L * 1024 * 1024;
  private static final int FEATURES = 256;

  private byte[] requestBytes;
  private Map<String, Tensor> outputs;

  @Setup
  public void setUp() throws InvalidProtocolBufferException {
    ByteBuffer raw = ByteBuffer.allocate(4 * FEATURES).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[FEATURES];
    for (int i = 0; i < FEATURES; i++) {
      values[i] = i / 7f;
      raw.putFloat(values[i]);
    }
    requestBytes = ModelInferRequest.newBuilder()
        .setModelName("recommender_mlp")
        .addInputs(InferInputTensor.newBuilder().setName("features").setDatatype("FP32").addShape(1).addShape(FEATURES))
        .addRawInputContents(ByteString.copyFrom(raw.array()))
        .build()
        .toByteArray();
    outputs = Map.of("embedding", Tensor.ofFloats(new long[] {1, FEATURES}, values));
    decodeRaw(); // fail at set-up, not in the middle of a measurement
  }

  @Benchmark
  public Object decodeRaw() throws InvalidProtocolBufferException {
    return GrpcInferenceCodec.decode(ModelInferRequest.parseFrom(requestBytes), REQUEST_LIMIT_BYTES);
  }

  @Benchmark
  public Object decodeRawCopied() throws InvalidProtocolBufferException {
    GrpcInferenceCodec.Decoded decoded =
        GrpcInferenceCodec.decode(ModelInferRequest.parseFrom(requestBytes), REQUEST_LIMIT_BYTES);
    Tensor view = decoded.request().inputs().get("features");
    ByteBuffer copy = Tensor.allocate(view.byteSize());
    copy.put(view.data()).flip();
    return Tensor.of(DataType.FP32, view.shape(), copy);
  }

  @Benchmark
  public byte[] encodeRaw() {
    return GrpcInferenceCodec.encode("recommender_mlp", "1", "", outputs, true).toByteArray();
  }

  @Benchmark
  public byte[] encodeRawCopied() {
    ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
        .setModelName("recommender_mlp")
        .setModelVersion("1")
        .setId("");
    for (Map.Entry<String, Tensor> entry : outputs.entrySet()) {
      Tensor tensor = entry.getValue();
      InferOutputTensor.Builder output = InferOutputTensor.newBuilder()
          .setName(entry.getKey())
          .setDatatype(tensor.datatype().wireName());
      for (int d = 0; d < tensor.rank(); d++) {
        output.addShape(tensor.dim(d));
      }
      response.addRawOutputContents(ByteString.copyFrom(tensor.data()));
      response.addOutputs(output);
    }
    return response.build().toByteArray();
  }
}
