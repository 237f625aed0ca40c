package dev.neutrino.gateway.grpc;

import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.batching.InferenceResult;
import dev.neutrino.gateway.call.InferenceCall;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.repo.ModelVersion;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;

/**
 * The gRPC half of one inference ({@link InferenceCall.Front}): a {@code ModelInferRequest} in, a
 * {@code ModelInferResponse} or a failure out. {@code ModelInfer} runs one per call,
 * {@code ModelStreamInfer} one per stream message; the {@link InferenceCall} does the rest.
 *
 * <p>Confined to the call's event loop. The answer handler is called exactly once, with the encoded
 * response or the failure (a cancelled request's is {@link dev.neutrino.runtime.InferenceException.Cancelled}).
 */
final class GrpcInference implements InferenceCall.Front {
  private final ModelInferRequest message;
  private final long maxRequestBytes;
  private final String path;
  private final Handler<AsyncResult<ModelInferResponse>> answer;
  private final boolean warmup;
  private boolean rawOutputs;

  /**
   * @param maxRequestBytes the most bytes the request's tensors may take once decoded
   * @param method the service method, for example {@code ModelInfer}, for the access log
   * @param answer gets the encoded response or the failure, once, on the call's context
   * @param warmup whether the call carries the gateway's own warm-up mark
   */
  GrpcInference(ModelInferRequest message, long maxRequestBytes, String method,
      Handler<AsyncResult<ModelInferResponse>> answer, boolean warmup) {
    this.message = message;
    this.warmup = warmup;
    this.maxRequestBytes = maxRequestBytes;
    this.path = InferenceService.path(method);
    this.answer = answer;
  }

  @Override
  public String model() {
    return message.getModelName();
  }

  @Override
  public String version() {
    return message.getModelVersion();
  }

  @Override
  public String method() {
    return "POST";
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public boolean warmup() {
    return warmup;
  }

  @Override
  public InferenceRequest decode() {
    GrpcInferenceCodec.Decoded decoded = GrpcInferenceCodec.decode(message, maxRequestBytes);
    rawOutputs = decoded.rawOutputs();
    return decoded.request();
  }

  @Override
  public String answer(ModelVersion version, InferenceResult result) {
    ModelInferResponse response = GrpcInferenceCodec.encode(version.name(), version.versionString(),
        message.getId(), result.outputs(), rawOutputs);
    answer.handle(Future.succeededFuture(response));
    return Protocol.GRPC.successCode();
  }

  @Override
  public String fail(Throwable failure) {
    answer.handle(Future.failedFuture(failure));
    return GrpcStatusMapping.statusOf(failure).name();
  }
}
