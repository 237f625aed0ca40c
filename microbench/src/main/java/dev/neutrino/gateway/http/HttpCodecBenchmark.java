package dev.neutrino.gateway.http;

import dev.neutrino.microbench.BenchmarkDefaults;
import dev.neutrino.runtime.Tensor;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The HTTP inference codec on one tensor of 256 FP32 values (the recommender's feature row): decoding
 * a JSON request, decoding a binary request (Triton's binary tensor extension; the tensor is a view of
 * the body), and encoding a JSON response and a binary one (from the output's buffer). The codec is package-private in the gateway; this class sits in its package (from the
 * microbench module, on the same class path) to call it directly.
 *
 * <p>Run: {@code java -jar microbench/target/neutrino-microbench.jar HttpCodecBenchmark}
 */
@State(Scope.Benchmark)
public class HttpCodecBenchmark extends BenchmarkDefaults {
  /** The request limit the codec is given: the gateway's default, 64 MiB. */
  private static final long REQUEST_LIMIT_BYTES = 64L * 1024 * 1024;

  private static final DecodedInference.OutputEncoding BINARY = new DecodedInference.OutputEncoding(true, Map.of());

  private Buffer jsonRequest;
  private Buffer binaryRequest;
  private int binaryHeaderLength;
  private Map<String, Tensor> outputs;

  @Setup
  public void setUp() {
    float[] values = new float[256];
    SplittableRandom random = new SplittableRandom(1);
    StringBuilder data = new StringBuilder();
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextDouble();
      data.append(i == 0 ? "" : ",").append(values[i]);
    }
    jsonRequest = Buffer.buffer("{\"inputs\":[{\"name\":\"features\",\"shape\":[1,256],\"datatype\":\"FP32\",\"data\":["
        + data + "]}]}");
    String header = "{\"inputs\":[{\"name\":\"features\",\"shape\":[1,256],\"datatype\":\"FP32\","
        + "\"parameters\":{\"binary_data_size\":1024}}],\"parameters\":{\"binary_data_output\":true}}";
    byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer raw = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      raw.putFloat(v);
    }
    binaryHeaderLength = headerBytes.length;
    binaryRequest = Buffer.buffer().appendBytes(headerBytes).appendBytes(raw.array());
    outputs = Map.of("embedding", Tensor.ofFloats(new long[] {1, 256}, values));
    // Fail at set-up, not in the middle of a measurement, if a body does not decode.
    HttpInferenceCodec.decode(jsonRequest, -1, REQUEST_LIMIT_BYTES);
    HttpInferenceCodec.decode(binaryRequest, binaryHeaderLength, REQUEST_LIMIT_BYTES);
  }

  @Benchmark
  public Object decodeJson() {
    return HttpInferenceCodec.decode(jsonRequest, -1, REQUEST_LIMIT_BYTES);
  }

  @Benchmark
  public Object decodeBinary() {
    return HttpInferenceCodec.decode(binaryRequest, binaryHeaderLength, REQUEST_LIMIT_BYTES);
  }

  @Benchmark
  public Object encodeJson() {
    return HttpInferenceCodec.encode("recommender_mlp", "1", "", DecodedInference.OutputEncoding.JSON, outputs);
  }

  /** Encoding from the output buffer: the JSON header, then the output's bytes in one bulk copy. */
  @Benchmark
  public Object encodeBinary() {
    return HttpInferenceCodec.encode("recommender_mlp", "1", "", BINARY, outputs);
  }
}
