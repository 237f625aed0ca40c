package dev.neutrino.gpu.tensorrt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What a TensorRT engine depends on: an engine is valid only for the GPU model and TensorRT version it
 * was built with, from the same ONNX bytes and the same build options. An engine cache stores each
 * engine under {@link #fileName()}, so a load on a new GPU or after a TensorRT upgrade finds no entry
 * and builds one, instead of failing to deserialise a stale engine.
 *
 * @param gpuName the GPU's product name, as CUDA reports it ({@code NVIDIA H100 80GB HBM3})
 * @param computeCapability major.minor ({@code 9.0})
 * @param tensorrtVersion TensorRT's version ({@code 10.15.1})
 * @param onnxSha256 the SHA-256 of the ONNX model's bytes, in hex
 * @param options the build options
 */
public record EngineCacheKey(
    String gpuName, String computeCapability, String tensorrtVersion, String onnxSha256, EngineBuildOptions options) {

  public EngineCacheKey {
    Objects.requireNonNull(gpuName, "gpuName");
    Objects.requireNonNull(computeCapability, "computeCapability");
    Objects.requireNonNull(tensorrtVersion, "tensorrtVersion");
    Objects.requireNonNull(onnxSha256, "onnxSha256");
    Objects.requireNonNull(options, "options");
  }

  /** The SHA-256 of {@code onnx}, in hex. */
  public static String sha256(byte[] onnx) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(onnx));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Every field in one canonical line: what the file name is a digest of. */
  public String canonical() {
    return String.join("\n", "gpu=" + gpuName, "sm=" + computeCapability, "tensorrt=" + tensorrtVersion,
        "onnx=" + onnxSha256, "options=" + options.canonical());
  }

  /**
   * The cache file for this key: a readable prefix (GPU, compute capability, TensorRT version) and a
   * digest of everything, so that different keys never share a file.
   */
  public String fileName() {
    String digest;
    try {
      digest = HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(canonical().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    String readable = (gpuName + "-sm" + computeCapability + "-trt" + tensorrtVersion)
        .toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.]+", "-");
    return readable + "-" + digest.substring(0, 16) + ".plan";
  }
}
