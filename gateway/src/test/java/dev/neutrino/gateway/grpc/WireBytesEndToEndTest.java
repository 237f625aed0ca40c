package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest.InferInputTensor;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensors taken straight from the received bytes (a binary HTTP input viewed in its body, a gRPC raw
 * input viewed in its message) reach the model intact: {@code identity_fp32} answers, bit for bit,
 * what ONNX Runtime run in-process answers for the same row. The HTTP body is sent in small chunks,
 * so that its JSON header and its tensor each span several of them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
class WireBytesEndToEndTest {
  private static final int FLOATS = 256;
  private static final int CHUNK_BYTES = 100;

  private Gateway gateway;
  private GrpcTestClient client;
  private LoadedModel reference;

  @BeforeAll
  void start(@TempDir Path dir) throws ModelLoadException {
    Path repository = TestGateways.exampleRepository(dir.resolve("repo"));
    gateway = TestGateways.start(repository);
    client = new GrpcTestClient(gateway);
    reference = OnnxRuntimeBackend.create()
        .load(repository.resolve("identity_fp32").resolve("1").resolve("model.onnx"), LoadOptions.cpu(1));
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    TestGateways.stop(gateway);
    if (reference != null) {
      reference.close();
    }
  }

  @Test
  void binaryTensorSpanningSeveralChunksAnswersWhatOnnxRuntimeAnswers() throws IOException {
    byte[] row = row(1);
    String header = "{\"inputs\":[{\"name\":\"INPUT0\",\"datatype\":\"FP32\",\"shape\":[1," + FLOATS + "],"
        + "\"parameters\":{\"binary_data_size\":" + row.length + "}}],\"parameters\":{\"binary_data_output\":true}}";
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(json);
    body.writeBytes(row);
    assertTrue(json.length > CHUNK_BYTES && row.length > 2 * CHUNK_BYTES, "header and tensor span chunks");

    Response response = postChunked("/v2/models/identity_fp32/infer", json.length, body.toByteArray());

    assertEquals(200, response.status(), new String(response.body(), StandardCharsets.UTF_8));
    int headerLength = Integer.parseInt(response.header("inference-header-content-length"));
    byte[] output = new byte[response.body().length - headerLength];
    System.arraycopy(response.body(), headerLength, output, 0, output.length);
    assertArrayEquals(expected(row), output);
  }

  @Test
  void rawInputAnswersWhatOnnxRuntimeAnswers() {
    byte[] row = row(2);
    ModelInferRequest request = ModelInferRequest.newBuilder()
        .setModelName("identity_fp32")
        .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32").addShape(1).addShape(FLOATS))
        .addRawInputContents(ByteString.copyFrom(row))
        .build();

    ModelInferResponse response = client.blocking.modelInfer(request);

    assertEquals(1, response.getRawOutputContentsCount());
    assertArrayEquals(expected(row), response.getRawOutputContents(0).toByteArray());
  }

  /** A row of floats, NaN payloads and signed zeros among them: any change to a bit shows. */
  private static byte[] row(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    ByteBuffer b = ByteBuffer.allocate(4 * FLOATS).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < FLOATS; i++) {
      b.putInt(i % 16 == 0 ? 0x7FC0_0000 | i : i % 16 == 1 ? 0x8000_0000 : Float.floatToRawIntBits(
          (float) random.nextDouble(-1e6, 1e6)));
    }
    return b.array();
  }

  private byte[] expected(byte[] row) {
    Tensor input = Tensor.of(dev.neutrino.runtime.DataType.FP32, new long[] {1, FLOATS},
        Tensor.allocate(row.length).put(row).flip());
    Tensor output = reference.run(Map.of("INPUT0", input), Set.of("OUTPUT0")).get("OUTPUT0");
    ByteBuffer data = output.data();
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    return bytes;
  }

  private record Response(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  /** POSTs {@code body} with chunked transfer coding, {@value #CHUNK_BYTES} bytes a chunk, each flushed. */
  private Response postChunked(String path, int headerLength, byte[] body) throws IOException {
    try (Socket socket = new Socket(gateway.host(), gateway.httpPort())) {
      socket.setSoTimeout(30_000);
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
          + "Inference-Header-Content-Length: " + headerLength + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      for (int at = 0; at < body.length; at += CHUNK_BYTES) {
        int n = Math.min(CHUNK_BYTES, body.length - at);
        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body, at, n);
        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return read(socket.getInputStream());
    }
  }

  /** Reads a response with a Content-Length (what the gateway sends for an inference). */
  private static Response read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the connection closed inside the response's headers");
      }
      head.write(b);
      matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : 0;
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new java.util.HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
    return new Response(status, headers, body);
  }
}
