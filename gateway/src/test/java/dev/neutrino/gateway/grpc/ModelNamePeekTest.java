package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.neutrino.gateway.grpc.proto.InferParameter;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reading a ModelInferRequest's model name, version and id off the wire, against protobuf-java's own parse. */
class ModelNamePeekTest {

  private static String peek(byte[] bytes) {
    ModelNamePeek.Head head = ModelNamePeek.head(Buffer.buffer(bytes));
    return head == null ? null : head.modelName();
  }

  /** The bytes of fields written in the order given: {number, value} pairs of strings. */
  private static byte[] fields(Object... numbersAndValues) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    for (int i = 0; i < numbersAndValues.length; i += 2) {
      int number = (Integer) numbersAndValues[i];
      Object value = numbersAndValues[i + 1];
      if (value instanceof String s) {
        out.writeString(number, s);
      } else if (value instanceof byte[] b) {
        out.writeByteArray(number, b);
      } else if (value instanceof Long l) {
        out.writeUInt64(number, l);
      } else if (value instanceof Double d) {
        out.writeDouble(number, d);
      } else if (value instanceof Float f) {
        out.writeFloat(number, f);
      }
    }
    out.flush();
    return bytes.toByteArray();
  }

  @Test
  void findsTheNameOfWhatClientsSendAsTheParserDoes() {
    Random random = new Random(7);
    for (int i = 0; i < 500; i++) {
      ModelInferRequest.Builder request = ModelInferRequest.newBuilder()
          .setModelName(i % 3 == 0 ? "recommender_mlp" : "m\u00e9od\u00e8le-" + random.nextInt(1_000_000))
          .setModelVersion(random.nextBoolean() ? "" : Integer.toString(random.nextInt(9)))
          .setId("id-" + random.nextLong())
          .putParameters("priority", InferParameter.newBuilder().setInt64Param(random.nextInt(3)).build())
          .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
              .addShape(1).addShape(2)
              .setContents(InferTensorContents.newBuilder().addFp32Contents(random.nextFloat())));
      if (random.nextBoolean()) {
        byte[] raw = new byte[random.nextInt(64)];
        random.nextBytes(raw);
        request.addRawInputContents(ByteString.copyFrom(raw));
      }
      ModelInferRequest message = request.build();
      assertEquals(message.getModelName(), peek(message.toByteArray()));
      ModelNamePeek.Head head = ModelNamePeek.head(Buffer.buffer(message.toByteArray()));
      assertEquals(new ModelNamePeek.Head(message.getModelName(), message.getModelVersion(), message.getId()), head);
    }
  }

  @Test
  void findsTheNameAfterOtherFieldsOfEveryWireType() throws IOException {
    byte[] bytes = fields(3, "request-id", 2, "1", 9, 5L, 10, 2.5d, 11, 1.5f, 1, "text_encoder", 5, new byte[] {1, 2});
    assertEquals("text_encoder", peek(bytes));
  }

  @Test
  void readsTheHeadWhereverItsFieldsAreAndKeepsTheLastOfARepeatedOneAsTheParserDoes() throws IOException {
    byte[] bytes = fields(7, new byte[] {1, 2}, 3, "first-id", 1, "old", 7, new byte[] {9}, 2, "3", 1, "text_encoder",
        3, "request-id");
    ModelInferRequest parsed = ModelInferRequest.parseFrom(bytes);
    assertEquals(new ModelNamePeek.Head("text_encoder", "3", "request-id"), ModelNamePeek.head(Buffer.buffer(bytes)));
    assertEquals(parsed.getModelName(), peek(bytes));
    assertEquals(parsed.getId(), ModelNamePeek.head(Buffer.buffer(bytes)).id());
    assertEquals(new ModelNamePeek.Head("m", "", ""), ModelNamePeek.head(Buffer.buffer(fields(1, "m"))),
        "a version and an id left out are empty, as parsed");
    assertEquals("m", peek(fields(1, "m", 1, 7L)), "a field 1 of another wire type is skipped, as the parser skips it");
  }

  @Test
  void givesNullForWhatItCannotReadAndLeavesTheAnswerToTheParser() throws IOException {
    assertNull(peek(new byte[0]), "empty: proto3 leaves an empty name out");
    assertNull(peek(fields(3, "id-only")), "no name");
    byte[] named = fields(1, "gated");
    assertNull(peek(Arrays.copyOf(named, named.length - 1)), "the name cut short");
    assertNull(peek(new byte[] {0x0a}), "a tag with no length");
    assertNull(peek(new byte[] {0x0a, (byte) 0x80}), "a length cut short");
    assertNull(peek(new byte[] {0x0a, 0x7f, 'a'}), "a length past the end");
    assertNull(peek(new byte[] {0x0a, 0x02, (byte) 0xc3, 0x28}), "a name that is not UTF-8");
    assertNull(peek(new byte[] {0x1b, 0x1c, 0x0a, 0x01, 'a'}), "a group");
    byte[] varintTooLong = new byte[12];
    Arrays.fill(varintTooLong, (byte) 0xff);
    assertNull(peek(varintTooLong), "a varint longer than ten bytes");
  }

  @Test
  void looksAtABoundedNumberOfFields() throws IOException {
    Object[] many = new Object[2 * ModelNamePeek.MAX_FIELDS + 2];
    many[0] = 1;
    many[1] = "early";
    for (int i = 1; i <= ModelNamePeek.MAX_FIELDS; i++) {
      many[2 * i] = 7;
      many[2 * i + 1] = new byte[] {(byte) i};
    }
    assertNull(peek(fields(many)), "the name, then " + ModelNamePeek.MAX_FIELDS + " other fields");
    assertEquals("early", peek(fields(Arrays.copyOf(many, many.length - 2))));
  }
}
