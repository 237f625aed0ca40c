package dev.neutrino.loadtest.profile;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A flame graph of collapsed stacks drawn as inline SVG: one rectangle per frame, its width the
 * frame's share of the samples, its callers below it, the root at the bottom; hovering a frame shows
 * its name and samples. {@link #svg()} has no script, so that a page promising none can embed it;
 * {@link #page(String)} is a page of its own that also zooms into a frame on click.
 *
 * <p>Collapsed stacks are the text form other tools read: a line per distinct stack, frames from the
 * root joined by {@code ;}, a space, then the number of samples.
 *
 * <p>Immutable once built.
 */
public final class FlameGraph {
  static final int WIDTH = 1200;
  static final int ROW = 16;
  /** Frames narrower than this many pixels are left out of the drawing (their samples stay in their parent). */
  static final double MIN_PIXELS = 0.3;
  private static final int CHAR_PIXELS = 7;

  /** A frame of the merged stacks and the samples of every stack through it. */
  static final class Node {
    final String name;
    long samples;
    final Map<String, Node> children = new TreeMap<>();

    Node(String name) {
      this.name = name;
    }

    Node child(String childName) {
      return children.computeIfAbsent(childName, Node::new);
    }

    /** Samples whose stack ends in this frame. */
    long self() {
      long below = 0;
      for (Node c : children.values()) {
        below += c.samples;
      }
      return samples - below;
    }
  }

  private final String title;
  private final Node root;
  private final int depth;

  private FlameGraph(String title, Node root, int depth) {
    this.title = title;
    this.root = root;
    this.depth = depth;
  }

  /**
   * The flame graph of {@code stacks}.
   *
   * @param stacks collapsed stacks ({@code root;...;leaf}) to their samples
   * @throws IllegalArgumentException for a count below 1 or an empty stack
   */
  public static FlameGraph of(String title, Map<String, Long> stacks) {
    Node root = new Node("all");
    int depth = 0;
    for (Map.Entry<String, Long> stack : stacks.entrySet()) {
      long count = stack.getValue();
      if (count < 1) {
        throw new IllegalArgumentException("a stack's samples must be at least 1, got " + count + " for '"
            + stack.getKey() + "'");
      }
      String[] frames = stack.getKey().split(";");
      if (stack.getKey().isEmpty()) {
        throw new IllegalArgumentException("an empty stack");
      }
      root.samples += count;
      Node node = root;
      for (String frame : frames) {
        node = node.child(frame);
        node.samples += count;
      }
      depth = Math.max(depth, frames.length);
    }
    return new FlameGraph(title, root, depth + 1);
  }

  /** Collapsed stacks in their text form, a line per stack, the most sampled first. */
  public static String collapsedText(Map<String, Long> stacks) {
    List<Map.Entry<String, Long>> lines = new ArrayList<>(stacks.entrySet());
    lines.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
    StringBuilder text = new StringBuilder();
    lines.forEach(l -> text.append(l.getKey()).append(' ').append(l.getValue()).append('\n'));
    return text.toString();
  }

  /**
   * Reads collapsed stacks from their text form; blank lines are skipped.
   *
   * @throws IllegalArgumentException naming the line that has no count after its last space
   */
  public static Map<String, Long> parseCollapsed(String text) {
    Map<String, Long> stacks = new LinkedHashMap<>();
    int number = 0;
    for (String line : text.split("\n")) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      try {
        if (space <= 0) {
          throw new NumberFormatException();
        }
        stacks.merge(line.substring(0, space), Long.parseLong(line.substring(space + 1).trim()), Long::sum);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("collapsed stacks line " + number + " does not end in a sample count: '"
            + line + "'");
      }
    }
    return stacks;
  }

  /** All samples. */
  public long samples() {
    return root.samples;
  }

  Node root() {
    return root;
  }

  /** The SVG element, without script: a hover title on each frame. */
  public String svg() {
    StringBuilder s = new StringBuilder(64 * 1024);
    int height = depth * ROW + ROW;
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flame\" width=\"").append(WIDTH).append("\" height=\"")
        .append(height).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height).append("\">\n");
    s.append("<text x=\"4\" y=\"12\" class=\"flame-title\">").append(escape(title)).append(" (")
        .append(root.samples).append(" samples)</text>\n");
    if (root.samples > 0) {
      draw(s, root, 0, 0, null, height);
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private void draw(StringBuilder s, Node node, double offset, int level, String stage, int height) {
    double x = WIDTH * offset / root.samples;
    double w = WIDTH * (double) node.samples / root.samples;
    if (w < MIN_PIXELS) {
      return;
    }
    String group = level == 1 ? node.name : stage;
    double y = height - (level + 1) * ROW;
    double percent = 100.0 * node.samples / root.samples;
    s.append("<g class=\"frame\" data-x=\"").append(fixed(offset / root.samples, 6)).append("\" data-w=\"")
        .append(fixed((double) node.samples / root.samples, 6)).append("\"><title>").append(escape(node.name))
        .append(" (").append(node.samples).append(" samples, ").append(fixed(percent, 2)).append(" %)</title>")
        .append("<rect x=\"").append(fixed(x, 2)).append("\" y=\"").append(fixed(y, 1)).append("\" width=\"")
        .append(fixed(w, 2)).append("\" height=\"").append(ROW - 1).append("\" fill=\"")
        .append(color(group, node.name, level)).append("\" rx=\"1\"/>");
    int chars = (int) ((w - 6) / CHAR_PIXELS);
    if (chars >= 3) {
      s.append("<text x=\"").append(fixed(x + 3, 2)).append("\" y=\"").append(fixed(y + ROW - 4, 1)).append("\">")
          .append(escape(label(node.name, chars))).append("</text>");
    }
    s.append("</g>\n");
    double childOffset = offset;
    for (Node child : node.children.values()) {
      draw(s, child, childOffset, level + 1, group, height);
      childOffset += child.samples;
    }
  }

  /**
   * A page of its own: the graph, and a click on a frame zooms to it (a click on the root zooms out).
   */
  public String page(String heading) {
    return "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        + "<title>" + escape(heading) + "</title>\n<style>\n" + STYLE + "</style>\n</head>\n<body>\n<h1>"
        + escape(heading) + "</h1>\n<p>Width is the share of samples; callers below callees; hover for a frame's "
        + "samples; click a frame to zoom, the bottom frame to zoom out.</p>\n" + svg()
        + "<script>\n//<![CDATA[\n" + ZOOM + "\n//]]>\n</script>\n</body>\n</html>\n";
  }

  /** The style a page embedding {@link #svg()} should carry. */
  public static final String STYLE = "svg.flame text{font-family:monospace;font-size:11px;fill:#000;pointer-events:none}\n"
      + "svg.flame text.flame-title{font-family:system-ui,sans-serif;font-size:12px}\n"
      + "svg.flame g.frame:hover rect{stroke:#000;stroke-width:0.5}\n";

  private static final String ZOOM = String.join("\n",
      "(function(){",
      "var W=" + WIDTH + ";",
      "document.querySelectorAll('svg.flame').forEach(function(svg){",
      " var frames=Array.prototype.slice.call(svg.querySelectorAll('g.frame'));",
      " frames.forEach(function(g){g.style.cursor='pointer';g.addEventListener('click',function(){zoom(+g.dataset.x,+g.dataset.w);});});",
      " function zoom(zx,zw){frames.forEach(function(g){",
      "  var x=(+g.dataset.x-zx)/zw*W, w=+g.dataset.w/zw*W, r=g.querySelector('rect'), t=g.querySelector('text');",
      "  var shown=x>=-0.5&&x+w<=W+0.5&&w>=" + MIN_PIXELS + ";",
      "  g.style.display=shown?'':'none'; r.setAttribute('x',x); r.setAttribute('width',w);",
      "  if(t){t.setAttribute('x',x+3); var name=g.querySelector('title').textContent.replace(/ \\(.*$/,'');",
      "   var n=Math.floor((w-6)/" + CHAR_PIXELS + "); t.textContent=n>=3?(name.length<=n?name:name.substring(0,n-2)+'..'):'';}",
      " });}",
      "});",
      "})();");

  /** The last part of a frame's name that fits in {@code chars} characters: the class's simple name and method first. */
  static String label(String name, int chars) {
    String shortName = name;
    int method = name.lastIndexOf('.');
    if (method > 0) {
      int type = name.lastIndexOf('.', method - 1);
      shortName = type >= 0 ? name.substring(type + 1) : name;
    }
    if (shortName.length() <= chars) {
      return shortName;
    }
    return shortName.substring(0, Math.max(1, chars - 2)) + "..";
  }

  private static final Map<String, Integer> STAGE_HUES = stageHues();

  private static Map<String, Integer> stageHues() {
    Map<String, Integer> hues = new LinkedHashMap<>();
    int[] values = {200, 30, 280, 50, 0, 330, 120, 170, 90, 240, 15, 260};
    Stage[] stages = Stage.values();
    for (int i = 0; i < stages.length; i++) {
      hues.put(stages[i].label(), values[i % values.length]);
    }
    return Collections.unmodifiableMap(hues);
  }

  /** A warm colour per stage (the stacks' first frame), varied a little by frame name so that neighbours differ. */
  private static String color(String stage, String name, int level) {
    if (level == 0) {
      return "rgb(200,200,200)";
    }
    int hue = STAGE_HUES.getOrDefault(stage, 20);
    int vary = Math.floorMod(name.hashCode(), 20);
    return "hsl(" + hue + "," + (55 + vary) + "%," + (62 + vary / 2) + "%)";
  }

  private static String fixed(double value, int decimals) {
    return String.format(Locale.ROOT, "%." + decimals + "f", value);
  }

  static String escape(String text) {
    StringBuilder e = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> e.append("&lt;");
        case '>' -> e.append("&gt;");
        case '&' -> e.append("&amp;");
        case '"' -> e.append("&quot;");
        default -> e.append(c);
      }
    }
    return e.toString();
  }
}
