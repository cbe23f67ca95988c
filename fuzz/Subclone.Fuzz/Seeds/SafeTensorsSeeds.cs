using System.Text;

namespace Subclone.Fuzz;

/// <summary>Small .safetensors files: every dtype, a scalar, an empty tensor, metadata.</summary>
internal static class SafeTensorsSeeds
{
    public static IEnumerable<Seed> All()
    {
        yield return File("valid-f32-bf16.safetensors",
            "{'__metadata__':{'format':'pt'},'a':{'dtype':'F32','shape':[2,3],'data_offsets':[0,24]},'b':{'dtype':'BF16','shape':[2],'data_offsets':[24,28]}}",
            28);
        yield return File("valid-every-dtype.safetensors",
            "{'f64':{'dtype':'F64','shape':[1],'data_offsets':[0,8]},'i64':{'dtype':'I64','shape':[1],'data_offsets':[8,16]},"
            + "'f32':{'dtype':'F32','shape':[1],'data_offsets':[16,20]},'i32':{'dtype':'I32','shape':[1],'data_offsets':[20,24]},"
            + "'f16':{'dtype':'F16','shape':[1],'data_offsets':[24,26]},'i16':{'dtype':'I16','shape':[1],'data_offsets':[26,28]},"
            + "'i8':{'dtype':'I8','shape':[1],'data_offsets':[28,29]},'u8':{'dtype':'U8','shape':[1],'data_offsets':[29,30]},"
            + "'bool':{'dtype':'BOOL','shape':[2],'data_offsets':[30,32]}}",
            32);
        yield return File("valid-scalar-and-empty.safetensors",
            "{'s':{'dtype':'F32','shape':[],'data_offsets':[0,4]},'e':{'dtype':'F16','shape':[0,3],'data_offsets':[4,4]}}",
            4);
        yield return File("valid-no-tensors.safetensors", "{}", 0);
    }

    /// <summary>The 8-byte little-endian header length, the header, then <paramref name="dataBytes"/> bytes 1, 2, 3, ….</summary>
    static Seed File(string name, string header, int dataBytes)
    {
        // Headers are written with ' for " to keep the JSON readable here.
        byte[] json = Encoding.UTF8.GetBytes(header.Replace('\'', '"'));
        byte[] bytes = [.. BitConverter.GetBytes((long)json.Length), .. json, .. Enumerable.Range(1, dataBytes).Select(i => (byte)i)];
        return new Seed("safetensors", name, bytes);
    }
}
