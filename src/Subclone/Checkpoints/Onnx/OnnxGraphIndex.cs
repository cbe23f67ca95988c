namespace Subclone.Checkpoints.Onnx;

/// <summary>
/// Who produces and who consumes each value of an <see cref="OnnxGraph"/>, and which values are constants
/// (initializers or <c>Constant</c> node outputs), so importers can follow edges instead of guessing by name.
/// </summary>
public sealed class OnnxGraphIndex
{
    readonly Dictionary<string, OnnxNode> _producers = new(StringComparer.Ordinal);
    readonly Dictionary<string, List<OnnxNode>> _consumers = new(StringComparer.Ordinal);
    readonly Dictionary<string, OnnxTensor> _constants;

    /// <summary>Indexes <paramref name="graph"/>'s edges and constants.</summary>
    public OnnxGraphIndex(OnnxGraph graph)
    {
        Graph = graph;
        _constants = new Dictionary<string, OnnxTensor>(graph.Initializers, StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            foreach (string output in node.Outputs) _producers[output] = node;
            foreach (string input in node.Inputs)
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                list.Add(node);
            }
            if (node.OpType == "Constant" && node.Outputs.Count == 1 && node.TensorAttributes.TryGetValue("value", out var value))
                _constants[node.Outputs[0]] = value;
        }
    }

    /// <summary>The graph indexed.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>The node that outputs <paramref name="value"/>, or null for graph inputs and initializers.</summary>
    public OnnxNode? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>The nodes that take <paramref name="value"/> as an input.</summary>
    public IReadOnlyList<OnnxNode> Consumers(string value) =>
        _consumers.TryGetValue(value, out var list) ? list : [];

    /// <summary>The constant <paramref name="value"/> names (initializer or Constant node output), or null.</summary>
    public OnnxTensor? Constant(string value) => _constants.GetValueOrDefault(value);
}
