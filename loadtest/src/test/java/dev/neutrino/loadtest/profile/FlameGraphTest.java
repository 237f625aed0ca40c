package dev.neutrino.loadtest.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Flame graphs from synthetic collapsed stacks: the merged tree, each frame's width, the page around it. */
class FlameGraphTest {
  private static final String SVG = "http://www.w3.org/2000/svg";

  private static Map<String, Long> stacks() {
    Map<String, Long> stacks = new LinkedHashMap<>();
    stacks.put("decode;a.A.run;b.B.parse", 3L);
    stacks.put("decode;a.A.run;c.C.read", 1L);
    stacks.put("send;x.X.write", 4L);
    stacks.put("decode;a.A.run", 2L);
    return stacks;
  }

  private static Document parse(String xml) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }

  /** Frame name to its rectangle, from the hover titles. */
  private static Map<String, Element> rects(Document doc) {
    Map<String, Element> rects = new LinkedHashMap<>();
    NodeList groups = doc.getElementsByTagNameNS(SVG, "g");
    for (int i = 0; i < groups.getLength(); i++) {
      Element g = (Element) groups.item(i);
      String title = g.getElementsByTagNameNS(SVG, "title").item(0).getTextContent();
      rects.put(title.substring(0, title.indexOf(" (")), (Element) g.getElementsByTagNameNS(SVG, "rect").item(0));
    }
    return rects;
  }

  private static double attr(Element e, String name) {
    return Double.parseDouble(e.getAttribute(name));
  }

  @Test
  void mergesStacksIntoATreeWhoseCountsAddUp() {
    FlameGraph graph = FlameGraph.of("t", stacks());
    FlameGraph.Node root = graph.root();
    assertEquals(10, root.samples);
    assertEquals(6, root.children.get("decode").samples);
    assertEquals(4, root.children.get("send").samples);
    FlameGraph.Node run = root.children.get("decode").children.get("a.A.run");
    assertEquals(6, run.samples);
    assertEquals(3, run.children.get("b.B.parse").samples);
    assertEquals(1, run.children.get("c.C.read").samples);
    assertEquals(2, run.self(), "samples that end in a.A.run itself");
  }

  @Test
  void eachFramesWidthIsItsShareOfTheSamplesAndChildrenSitInsideTheirParent() throws Exception {
    Map<String, Element> rects = rects(parse(FlameGraph.of("t", stacks()).svg()));
    assertEquals(1200, attr(rects.get("all"), "width"), 0.01);
    assertEquals(720, attr(rects.get("decode"), "width"), 0.01);
    assertEquals(480, attr(rects.get("send"), "width"), 0.01);
    assertEquals(720, attr(rects.get("send"), "x"), 0.01, "siblings side by side, in name order");
    assertEquals(360, attr(rects.get("b.B.parse"), "width"), 0.01);
    assertEquals(120, attr(rects.get("c.C.read"), "width"), 0.01);
    assertEquals(360, attr(rects.get("c.C.read"), "x"), 0.01);
    double parentY = attr(rects.get("a.A.run"), "y");
    assertTrue(attr(rects.get("b.B.parse"), "y") < parentY, "callees above their caller");
    assertEquals(attr(rects.get("decode"), "y") - FlameGraph.ROW, parentY, 0.01);
  }

  @Test
  void leavesOutFramesTooNarrowToSee() throws Exception {
    Map<String, Long> stacks = new LinkedHashMap<>();
    stacks.put("decode;big.Big.f", 100_000L);
    stacks.put("decode;tiny.Tiny.f", 1L);
    Map<String, Element> rects = rects(parse(FlameGraph.of("t", stacks).svg()));
    assertTrue(rects.containsKey("big.Big.f"));
    assertTrue(!rects.containsKey("tiny.Tiny.f"), rects.keySet().toString());
  }

  @Test
  void theSvgHasNoScriptAndThePageZoomsWithOne() throws Exception {
    Map<String, Long> stacks = Map.of("decode;p.Q.<init>", 2L, "encode;p.R.write&flush", 1L);
    FlameGraph graph = FlameGraph.of("names <&> \"quoted\"", stacks);
    Document svg = parse(graph.svg());
    assertEquals(0, svg.getElementsByTagNameNS("*", "script").getLength());
    assertTrue(rects(svg).containsKey("p.Q.<init>"), "names survive escaping");
    Document page = parse(graph.page("profile <page>"));
    assertEquals(1, page.getElementsByTagNameNS("*", "script").getLength());
    assertEquals(1, page.getElementsByTagNameNS(SVG, "svg").getLength());
  }

  @Test
  void collapsedTextRoundTripsAndNamesABadLine() {
    Map<String, Long> stacks = stacks();
    String text = FlameGraph.collapsedText(stacks);
    assertTrue(text.startsWith("send;x.X.write 4\n"), text);
    assertEquals(stacks, FlameGraph.parseCollapsed(text));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FlameGraph.parseCollapsed("a;b 1\n\na;c many\n"));
    assertEquals("collapsed stacks line 3 does not end in a sample count: 'a;c many'", e.getMessage());
  }

  @Test
  void rejectsCountsBelowOne() {
    assertThrows(IllegalArgumentException.class, () -> FlameGraph.of("t", Map.of("a;b", 0L)));
  }

  @Test
  void labelsKeepTheClassAndMethodThatFit() {
    assertEquals("NioEventLoop.run", FlameGraph.label("io.netty.channel.nio.NioEventLoop.run", 30));
    assertEquals("NioEventLo..", FlameGraph.label("io.netty.channel.nio.NioEventLoop.run", 12));
  }
}
