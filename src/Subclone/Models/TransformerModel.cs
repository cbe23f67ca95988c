using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Models;

/// <summary>
/// What importance, slicing and training need from any supported transformer: its shape, a forward pass with
/// activation hooks, and parameters named exactly as Hugging Face names them (state_dict keys are HF keys).
/// </summary>
public abstract class TransformerModel : nn.Module
{
    protected TransformerModel(string name, ModelConfig config) : base(name) => Config = config;

    public ModelConfig Config { get; }

    /// <summary>Decoders return logits [B, T, vocab]; encoders return the last hidden state [B, T, D]; ViT takes
    /// pixel values [B, C, H, W] in <paramref name="inputIds"/> and returns class logits [B, labels].</summary>
    public abstract Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, ActivationProbe? probe = null);

    /// <summary>Maps a tensor name found in a checkpoint file to this model's parameter name, or null to
    /// ignore it (buffers old checkpoints carry, a tied head stored anyway).</summary>
    public virtual string? CanonicalName(string fileKey) => fileKey;

    /// <summary>Whether a parameter is a norm weight (initialised to one).</summary>
    protected abstract bool IsNorm(string name);

    /// <summary>The std of a weight's normal initialisation: initializer_range unless a family scales it.</summary>
    protected virtual double InitStd(string name) => Config.InitializerRange;

    /// <summary>Hugging Face's initialisation: biases zero, norm weights one, every other weight N(0, InitStd).
    /// With a generator the result depends only on its seed, not on what else used torch's global RNG.</summary>
    public void InitializeWeights(Generator? generator = null)
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith(".bias")) p.zero_();
            else if (IsNorm(name)) p.fill_(1);
            else p.normal_(0, InitStd(name), generator);
        }
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>Builds the model class for a config, with Hugging Face's random initialisation.</summary>
    /// <summary>Builds the model class for a config with Hugging Face's random initialisation drawn from
    /// <paramref name="seed"/> alone, so concurrent users of torch's global RNG cannot change it.</summary>
    public static TransformerModel Create(ModelConfig config, long seed)
    {
        var model = Create(config);
        using var generator = new Generator((ulong)seed);
        model.InitializeWeights(generator);
        return model;
    }

    public static TransformerModel Create(ModelConfig config) => config.Architecture switch
    {
        Architecture.Gpt2 => new Gpt2Model(config),
        Architecture.Llama => new LlamaModel(config),
        Architecture.Bert => new BertModel(config),
        Architecture.Vit => new VitModel(config),
        _ => throw new NotSupportedException($"{config.Architecture} models are not implemented yet"),
    };
}
