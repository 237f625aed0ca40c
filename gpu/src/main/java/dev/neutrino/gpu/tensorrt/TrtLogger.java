package dev.neutrino.gpu.tensorrt;

import java.lang.System.Logger.Level;
import org.bytedeco.tensorrt.nvinfer.ILogger;

/** TensorRT's messages into the JVM's log: errors and warnings only (TensorRT's info is chatty). */
final class TrtLogger extends ILogger {
  private static final System.Logger LOG = System.getLogger("dev.neutrino.gpu.tensorrt.TensorRT");

  @Override
  public void log(Severity severity, String message) {
    switch (severity) {
      case kINTERNAL_ERROR, kERROR -> LOG.log(Level.ERROR, "TensorRT: {0}", message);
      case kWARNING -> LOG.log(Level.WARNING, "TensorRT: {0}", message);
      default -> LOG.log(Level.DEBUG, "TensorRT: {0}", message);
    }
  }
}
