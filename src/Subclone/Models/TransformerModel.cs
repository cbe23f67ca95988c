using TorchSharp;
using static TorchSharp.torch;
using Subclone.Models.Families;

namespace Subclone.Models;

/// <summary>
/// What importance, slicing and training need from any supported transformer: its shape, a forward pass with
/// activation hooks, and parameters named exactly as Hugging Face names them (state_dict keys are HF keys).
/// </summary>
public abstract class TransformerModel : nn.Module
{
    /// <summary>A model named <paramref name="name"/> of shape <paramref name="config"/>.</summary>
    protected TransformerModel(string name, ModelConfig config) : base(name) => Config = config;

    /// <summary>The shape this model was built for.</summary>
    public ModelConfig Config { get; }

    /// <summary>Decoders return logits [B, T, vocab]; encoders return the last hidden state [B, T, D]; ViT takes
    /// pixel values [B, C, H, W] in <paramref name="inputIds"/> and returns class logits [B, labels].</summary>
    public abstract Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, ActivationProbe? probe = null);

    /// <summary>The forward pass up to the last block's (normed) hidden states, without the head: what calibration
    /// needs. For decoders this skips the vocabulary-sized logits, the largest activation of the pass.</summary>
    public virtual Tensor ForwardHidden(Tensor inputIds, Tensor? attentionMask = null, ActivationProbe? probe = null) =>
        Forward(inputIds, attentionMask, probe);

    /// <summary>Maps a tensor name found in a checkpoint file to this model's parameter name, or null to
    /// ignore it (buffers old checkpoints carry, a tied head stored anyway).</summary>
    public string? CanonicalName(string fileKey) => CanonicalNameFor(Config, fileKey);

    /// <summary>Hugging Face's initialisation of every parameter, by the family's per-name rule. With a
    /// generator the result depends only on its seed, not on what else used torch's global RNG.</summary>
    public void InitializeWeights(Generator? generator = null)
    {
        foreach (var (name, p) in named_parameters()) InitFor(Config, name).Apply(p, generator);
    }

    /// <summary>Parameters of the model (a tied head counted once).</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>Builds the model class for a config with Hugging Face's random initialisation drawn from
    /// <paramref name="seed"/> alone, so concurrent users of torch's global RNG cannot change it.</summary>
    public static TransformerModel Create(ModelConfig config, long seed)
    {
        var model = Create(config);
        using var generator = new Generator((ulong)seed);
        model.InitializeWeights(generator);
        return model;
    }

    /// <summary>
    /// Builds the model class for a config with Hugging Face's random initialisation drawn from torch's global RNG;
    /// tests and anything running concurrently should use the seeded <see cref="Create(ModelConfig, long)"/>.
    /// </summary>
    public static TransformerModel Create(ModelConfig config) => config.Family.Create(config, true);

    /// <summary>The names and shapes of <see cref="Create(ModelConfig)"/>.state_dict(), in that order, without building
    /// the model, from the family's parameter table. <paramref name="withPooler"/> drops the family's optional part
    /// (BERT's pooler) when false.</summary>
    public static IReadOnlyList<ParameterShape> ParameterShapes(ModelConfig config, bool withPooler = true) =>
        EnumerateParameterShapes(config, withPooler).ToList();

    /// <summary><see cref="ParameterShapes"/> produced lazily, for a caller that stops early: a config read from a
    /// file may declare billions of layers.</summary>
    internal static IEnumerable<ParameterShape> EnumerateParameterShapes(ModelConfig config, bool withPooler = true) =>
        config.Family.Shapes(config, withPooler);

    /// <summary>Hugging Face's initialisation of the parameter <paramref name="name"/>, by its row in the family's table.</summary>
    public static ParameterInit InitFor(ModelConfig config, string name) =>
        (config.Family.RowFor(config, name) ?? throw new InvalidOperationException($"{config.Family} has no parameter '{name}'")).Init(config);

    /// <summary>The parameter a checkpoint's tensor name stands for, or null for tensors the model ignores.</summary>
    public static string? CanonicalNameFor(ModelConfig config, string fileKey) => config.Family.CanonicalName(config, fileKey);
}
