package dev.neutrino.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OrtMessagesTest {

  @Test
  void replacesTheModelPathAndDropsTheBindingPrefix() {
    Path model = Path.of("/srv/models/secret-model/3/model.onnx");
    OrtException e =
        new OrtException(
            OrtException.OrtErrorCode.ORT_INVALID_PROTOBUF,
            "Load model from /srv/models/secret-model/3/model.onnx failed:Protobuf parsing failed.");

    String message = OrtMessages.clean(e, model);

    assertEquals("Load model from <path> failed:Protobuf parsing failed.", message);
    assertEquals("ORT_INVALID_PROTOBUF", OrtMessages.code(e));
  }

  @Test
  void replacesTheModelFolderAndOtherAbsolutePaths() {
    Path model = Path.of("/srv/models/secret-model/3/model.onnx");
    OrtException e =
        new OrtException(
            OrtException.OrtErrorCode.ORT_FAIL,
            "cannot open /srv/models/secret-model/3/weights.bin (see /opt/build/ort/core/x.cc:12)");

    String message = OrtMessages.clean(e, model);

    assertFalse(message.contains("secret-model"), message);
    assertFalse(message.contains("/opt/build"), message);
    assertTrue(message.startsWith("cannot open <path>"), message);
  }

  @Test
  void keepsMessagesWithoutPathsReadable() {
    RuntimeException e = new IllegalStateException("Unknown output name q, expected one of [y]");

    assertEquals("Unknown output name q, expected one of [y]", OrtMessages.clean(e, null));
    assertEquals(null, OrtMessages.code(e));
  }

  @Test
  void boundsTheLength() {
    RuntimeException e = new IllegalStateException("x".repeat(5_000));

    assertEquals(OrtMessages.MAX_LENGTH, OrtMessages.clean(e, null).length());
  }
}
