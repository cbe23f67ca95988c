using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// A sparse mixture-of-experts MLP as Hugging Face computes it (MixtralSparseMoeBlock, Qwen3MoeSparseMoeBlock,
/// OlmoeSparseMoeBlock): router logits = gate(x); probabilities = softmax in float32; each token keeps its top-k
/// experts and, where <see cref="MoeShape.NormTopK"/> says so, divides their probabilities by their sum; the output
/// is Σ weight · expert(x) over the chosen experts. Each expert runs only on the tokens routed to it.
/// </summary>
public sealed class SparseMoeBlock : FeedForward
{
    /// <summary>The router, [experts, D], no bias.</summary>
    public LinearLayer gate;
    /// <summary>The experts, each a gated MLP of the expert width.</summary>
    public ModuleList<ExpertMlp> experts;
    readonly int _topK, _layer;
    readonly bool _normTopK;

    /// <summary>The sparse MLP of block <paramref name="layer"/>, its experts' projections named as <paramref name="layout"/> says.</summary>
    public SparseMoeBlock(ModelConfig config, Families.MoeLayout layout, int layer) : base(nameof(SparseMoeBlock))
    {
        var moe = config.Moe ?? throw new InvalidOperationException("a sparse block needs a config with experts");
        gate = new LinearLayer(config.Hidden, moe.Experts, hasBias: false);
        experts = new ModuleList<ExpertMlp>(Enumerable.Range(0, moe.Experts).Select(_ => new ExpertMlp(config, layout)).ToArray());
        _topK = moe.TopK;
        _normTopK = moe.NormTopK;
        _layer = layer;
        RegisterComponents();
    }

    /// <summary>The gate weight each token gives each expert, [N, experts]: its top-k probabilities (renormalised
    /// where the config says), zero for the experts it is not routed to.</summary>
    public Tensor RoutingWeights(Tensor tokens)
    {
        var probabilities = nn.functional.softmax(gate.forward(tokens).to_type(ScalarType.Float32), dim: 1);
        var (top, chosen) = probabilities.topk(_topK, dim: -1);
        if (_normTopK) top = top / top.sum(-1, keepdim: true);
        return zeros_like(probabilities).scatter_(1, chosen, top).to_type(tokens.dtype);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x, ActivationProbe? probe)
    {
        var shape = x.shape;
        var tokens = x.reshape(-1, shape[^1]);
        var weights = RoutingWeights(tokens);
        probe?.OnRouting(_layer, weights);
        var output = zeros_like(tokens);
        for (int e = 0; e < experts.Count; e++)
        {
            // The tokens routed to expert e, in token order, and the gate weight each gives it.
            var routed = weights[.., e].nonzero().squeeze(-1);
            if (routed.numel() == 0) continue;
            var hidden = experts[e].Hidden(tokens.index_select(0, routed));
            probe?.OnExpertHidden(_layer, e, hidden, routed);
            var contribution = experts[e].DownProj.forward(hidden) * weights.index_select(0, routed)[.., e..(e + 1)];
            probe?.OnExpertOutput(_layer, e, contribution, routed);
            output.index_add_(0, routed, contribution, 1);
        }
        return output.view(shape);
    }
}

/// <summary>One expert: down(act(gate(x)) · up(x)), its three projections registered under the family's names
/// (Mixtral's w1 / w3 / w2, or gate_proj / up_proj / down_proj).</summary>
public sealed class ExpertMlp : nn.Module
{
    // Held in an array, which TorchSharp does not register by field name: each is registered under the family's name.
    readonly LinearLayer[] _projections;
    readonly string _activation;

    /// <summary>An expert of <paramref name="config"/>'s expert width.</summary>
    public ExpertMlp(ModelConfig config, Families.MoeLayout layout) : base(nameof(ExpertMlp))
    {
        int width = config.Moe!.ExpertFfn;
        _projections =
        [
            new LinearLayer(config.Hidden, width, hasBias: false),
            new LinearLayer(config.Hidden, width, hasBias: false),
            new LinearLayer(width, config.Hidden, hasBias: false),
        ];
        _activation = config.Activation;
        // In HF's gate, up, down order, so state_dict keys (and their order) are the family's own.
        for (int i = 0; i < 3; i++) register_module(layout.Projections[i], _projections[i]);
    }

    /// <summary>The gate projection (the activation's input), [F, D].</summary>
    public LinearLayer GateProj => _projections[0];
    /// <summary>The up projection, [F, D].</summary>
    public LinearLayer UpProj => _projections[1];
    /// <summary>The down projection, [D, F].</summary>
    public LinearLayer DownProj => _projections[2];

    /// <summary>act(gate(x)) · up(x): the down projection's input, [N, F].</summary>
    public Tensor Hidden(Tensor x) => Activations.Apply(_activation, GateProj.forward(x)) * UpProj.forward(x);
}
